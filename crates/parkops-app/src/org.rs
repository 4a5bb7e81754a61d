//! Parks and organisations.

use parkops_domain::access::{Capability, Scope, Target};
use parkops_domain::audit::Outcome;
use parkops_domain::id::{OrgId, ParkId};
use parkops_domain::org::{self, OrgType, Organisation, Park};
use serde_json::json;

use crate::ports::{OrgFilter, Page, PageRequest};
use crate::{App, AppError, Caller, FieldError};

/// The editable fields of an organisation, as submitted.
#[derive(Debug, Clone, Default)]
pub struct OrgInput {
    /// Organisation type code.
    pub org_type: String,
    /// Code, unique in the park.
    pub code: String,
    /// Name.
    pub name: String,
    /// Contact person.
    pub contact: String,
    /// Phone.
    pub phone: String,
    /// Active flag.
    pub is_active: bool,
}

fn validate(input: &OrgInput) -> Result<OrgType, AppError> {
    let mut errors = Vec::new();
    let org_type = OrgType::parse(&input.org_type);
    if org_type.is_err() {
        errors.push(FieldError::new("org_type", "err-org-type"));
    }
    if org::validate_code(input.code.trim()).is_err() {
        errors.push(FieldError::new("code", "err-code"));
    }
    if org::validate_name(&input.name).is_err() {
        errors.push(FieldError::new("name", "err-name").arg("max", org::NAME_MAX));
    }
    if input.contact.chars().count() > 50 {
        errors.push(FieldError::new("contact", "err-too-long").arg("max", 50));
    }
    if input.phone.chars().count() > 30 || !input.phone.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)) {
        errors.push(FieldError::new("phone", "err-phone"));
    }
    match org_type {
        Ok(t) if errors.is_empty() => Ok(t),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn detail(o: &Organisation) -> String {
    json!({
        "org_type": o.org_type.code(), "code": o.code, "name": o.name,
        "contact": o.contact, "phone": o.phone, "is_active": o.is_active,
    })
    .to_string()
}

impl App {
    /// All parks (every user sees the list of parks by name only).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn parks(&self) -> Result<Vec<Park>, AppError> {
        Ok(self.store.parks().await?)
    }

    /// Organisations visible to the caller.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::OrgView`].
    pub async fn list_orgs(
        &self,
        caller: &Caller,
        mut filter: OrgFilter,
        page: PageRequest,
    ) -> Result<Page<Organisation>, AppError> {
        let p = caller.require_any(Capability::OrgView)?;
        filter.park_id = Some(p.park_id);
        if p.scope_of(Capability::OrgView) == Some(Scope::OwnOrganisation) {
            filter.only = Some(p.org_id);
        }
        Ok(self.store.orgs(&filter, page).await?)
    }

    /// One organisation, if visible to the caller.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when absent or out of scope.
    pub async fn get_org(&self, caller: &Caller, id: OrgId) -> Result<Organisation, AppError> {
        let o = self.store.org(id).await?.ok_or(AppError::NotFound)?;
        caller
            .require(Capability::OrgView, Target { park_id: o.park_id, org_id: Some(o.id) })
            .map_err(|_| AppError::NotFound)?;
        Ok(o)
    }

    /// Creates an organisation in the caller's park.
    ///
    /// # Errors
    /// [`AppError::Invalid`] with field messages; [`AppError::Conflict`] for a duplicate code.
    pub async fn create_org(&self, caller: &Caller, input: OrgInput) -> Result<Organisation, AppError> {
        let p = caller.require_any(Capability::OrgManage)?;
        let park_id = p.park_id;
        let org_type = validate(&input)?;
        let o = Organisation {
            id: OrgId::from_uuid(uuid::Uuid::now_v7()),
            park_id,
            org_type,
            code: input.code.trim().to_owned(),
            name: input.name.trim().to_owned(),
            contact: input.contact.trim().to_owned(),
            phone: input.phone.trim().to_owned(),
            is_active: true,
        };
        self.insert_org_audited(caller, &o).await?;
        Ok(o)
    }

    pub(crate) async fn insert_org_audited(&self, caller: &Caller, o: &Organisation) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.insert_org(o, now).await.map_err(|e| match e {
            crate::StoreError::Conflict { .. } => AppError::field("code", "err-code-taken"),
            e => e.into(),
        })?;
        tx.audit(caller.entry("org.create", "organisation", &o.id.to_string(), Outcome::Success, detail(o)), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Updates an organisation.
    ///
    /// # Errors
    /// As [`App::create_org`], plus [`AppError::NotFound`].
    pub async fn update_org(&self, caller: &Caller, id: OrgId, input: OrgInput) -> Result<Organisation, AppError> {
        let before = self.store.org(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::OrgManage, Target { park_id: before.park_id, org_id: Some(id) })?;
        let org_type = validate(&input)?;
        let o = Organisation {
            org_type,
            code: input.code.trim().to_owned(),
            name: input.name.trim().to_owned(),
            contact: input.contact.trim().to_owned(),
            phone: input.phone.trim().to_owned(),
            is_active: input.is_active,
            ..before.clone()
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.update_org(&o).await.map_err(|e| match e {
            crate::StoreError::Conflict { .. } => AppError::field("code", "err-code-taken"),
            e => e.into(),
        })?;
        let d = json!({ "before": serde_json::from_str::<serde_json::Value>(&detail(&before)).unwrap_or_default(),
                        "after": serde_json::from_str::<serde_json::Value>(&detail(&o)).unwrap_or_default() });
        tx.audit(caller.entry("org.update", "organisation", &id.to_string(), Outcome::Success, d.to_string()), now)
            .await?;
        tx.commit().await?;
        Ok(o)
    }

    /// Creates a park with its using unit: the bootstrap of an empty installation.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn bootstrap_park(
        &self,
        caller: &Caller,
        code: &str,
        name: &str,
        unit_name: &str,
    ) -> Result<(Park, Organisation), AppError> {
        let now = self.clock.now();
        let park = Park { id: ParkId::from_uuid(uuid::Uuid::now_v7()), code: code.to_owned(), name: name.to_owned() };
        let unit = Organisation {
            id: OrgId::from_uuid(uuid::Uuid::now_v7()),
            park_id: park.id,
            org_type: OrgType::UsingUnit,
            code: format!("{code}-UNIT"),
            name: unit_name.to_owned(),
            contact: String::new(),
            phone: String::new(),
            is_active: true,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_park(&park, now).await?;
        tx.audit(
            caller.entry(
                "park.create",
                "park",
                &park.id.to_string(),
                Outcome::Success,
                json!({ "code": code, "name": name }).to_string(),
            ),
            now,
        )
        .await?;
        tx.insert_org(&unit, now).await?;
        tx.audit(
            caller.entry("org.create", "organisation", &unit.id.to_string(), Outcome::Success, detail(&unit)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((park, unit))
    }
}
