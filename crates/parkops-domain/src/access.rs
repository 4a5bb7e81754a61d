//! Posts, capabilities and scopes (R-5, R-8.1.1, 等保 8.1.4.2).
//!
//! What a user may do follows from the type of their organisation and their posts:
//! [`grants`] is the single rule table. The three separated administrators of 等保
//! level 3 (system, security, audit) are mutually exclusive with each other and with
//! every business post ([`validate_posts`]).

use std::collections::BTreeSet;

use crate::id::{OrgId, ParkId, UserId};
use crate::org::{OrgType, UnknownCode};

/// A post (岗位). A user holds one or more posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Post {
    /// 管理负责人 — assigns people to posts, owns job descriptions.
    Manager,
    /// 技术员.
    Technician,
    /// 操作员 — service desk and duty shifts.
    Operator,
    /// 监督员 — oversight for the supervising department.
    Supervisor,
    /// 服务商工程师 — supplier staff, within their organisation.
    SupplierEngineer,
    /// 报障人 — reports faults and follows their progress.
    Reporter,
    /// 系统管理员 — users, organisations, system operation (等保 8.1.5.1).
    SystemAdmin,
    /// 安全管理员 — security policy, authorisation, unlocks (等保 8.1.5.3).
    SecurityAdmin,
    /// 审计管理员 — reads, exports and verifies audit records only (等保 8.1.5.2).
    AuditAdmin,
}

impl Post {
    /// Every post, in display order.
    pub const ALL: [Self; 9] = [
        Self::Manager,
        Self::Technician,
        Self::Operator,
        Self::Supervisor,
        Self::SupplierEngineer,
        Self::Reporter,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
    ];

    /// The stable code used in storage, the API, the CLI and resource-file keys.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Manager => "manager",
            Self::Technician => "technician",
            Self::Operator => "operator",
            Self::Supervisor => "supervisor",
            Self::SupplierEngineer => "supplier_engineer",
            Self::Reporter => "reporter",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
        }
    }

    /// The post with this code (`-` is accepted for `_`, for command lines).
    ///
    /// # Errors
    /// [`UnknownCode`] for any other text.
    pub fn parse(code: &str) -> Result<Self, UnknownCode> {
        let code = code.replace('-', "_");
        Self::ALL.into_iter().find(|p| p.code() == code).ok_or(UnknownCode)
    }

    /// One of the three separated administrators (三员).
    #[must_use]
    pub const fn is_admin(self) -> bool {
        match self {
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin => true,
            Self::Manager
            | Self::Technician
            | Self::Operator
            | Self::Supervisor
            | Self::SupplierEngineer
            | Self::Reporter => false,
        }
    }

    /// Whether a second factor (TOTP) is mandatory for holders of this post.
    #[must_use]
    pub const fn requires_totp(self) -> bool {
        self.is_admin()
    }

    /// Whether this post may be held by a member of an organisation of `org_type`.
    #[must_use]
    pub const fn is_allowed_in(self, org_type: OrgType) -> bool {
        use OrgType as O;
        match self {
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin => {
                matches!(org_type, O::UsingUnit | O::ServiceOrganisation)
            }
            Self::Manager | Self::Technician | Self::Operator => !matches!(org_type, O::SupervisingDepartment),
            Self::Supervisor => matches!(org_type, O::SupervisingDepartment | O::UsingUnit),
            Self::SupplierEngineer => matches!(org_type, O::ProductVendor | O::Carrier | O::ServiceOrganisation),
            Self::Reporter => true,
        }
    }
}

/// An action a user may be entitled to. Routes and use cases name exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// See the O&M dashboard and navigation.
    DashboardView,
    /// List and read organisations.
    OrgView,
    /// Create, edit, deactivate organisations.
    OrgManage,
    /// List and read user accounts.
    UserView,
    /// Create users, edit their profile, disable/enable, reset passwords.
    UserManage,
    /// Assign business posts (everything but the three administrators).
    PostAssignBusiness,
    /// Assign the three administrator posts.
    PostAssignAdmin,
    /// Read job descriptions.
    JobDescriptionView,
    /// Publish a new version of a job description.
    JobDescriptionEdit,
    /// Edit the password, lockout and session policy.
    SecurityPolicyManage,
    /// Unlock locked accounts, reset second factors, end other users' sessions.
    UserUnlock,
    /// Read the audit log.
    AuditView,
    /// Export the audit log and checkpoints.
    AuditExport,
    /// Verify the record chain.
    AuditVerify,
    /// Report a fault and follow one's own tickets (the reporter portal).
    TicketReport,
    /// Read tickets (the whole park, or those of one's own organisation).
    TicketView,
    /// Work tickets: acknowledge, start, wait, resolve, assign, escalate, comment, attach.
    TicketWork,
    /// Run the desk: close tickets outright, edit SLA targets, the calendar and support lines.
    TicketManage,
    /// Read the asset register: CIs, relations and impact, timelines, locations, spare parts
    /// (the whole park, or the CIs one's organisation owns or maintains).
    AssetView,
    /// Keep the register: create and edit CIs, lifecycle events, relations, imports, stock
    /// movements; with park scope also locations and the class schema.
    AssetManage,
    // Calibration register (R-9.1.1d).
    /// Record calibrations and their corrections and attach certificates (on the CIs in
    /// reach: the whole park, or those one's organisation owns or maintains).
    CalibrationRecord,
    // Inspections, maintenance and calibration by plan (R-9.1.1a).
    /// Read inspection standards, plans, tasks, results and the calendar of due work (the
    /// whole park, or the tasks of one's organisation and of the CIs it owns or maintains).
    InspectionView,
    /// Work tasks: start them and record results and corrections, item by item.
    InspectionRecord,
    /// Keep standards and plans, generate due tasks, assign and cancel tasks.
    PlanManage,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Self; 24] = [
        Self::DashboardView,
        Self::OrgView,
        Self::OrgManage,
        Self::UserView,
        Self::UserManage,
        Self::PostAssignBusiness,
        Self::PostAssignAdmin,
        Self::JobDescriptionView,
        Self::JobDescriptionEdit,
        Self::SecurityPolicyManage,
        Self::UserUnlock,
        Self::AuditView,
        Self::AuditExport,
        Self::AuditVerify,
        Self::TicketReport,
        Self::TicketView,
        Self::TicketWork,
        Self::TicketManage,
        Self::AssetView,
        Self::AssetManage,
        // Calibration register (R-9.1.1d).
        Self::CalibrationRecord,
        // Inspections, maintenance and calibration by plan.
        Self::InspectionView,
        Self::InspectionRecord,
        Self::PlanManage,
    ];

    /// Stable code, used in the OpenAPI document and resource files.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::DashboardView => "dashboard.view",
            Self::OrgView => "org.view",
            Self::OrgManage => "org.manage",
            Self::UserView => "user.view",
            Self::UserManage => "user.manage",
            Self::PostAssignBusiness => "post.assign_business",
            Self::PostAssignAdmin => "post.assign_admin",
            Self::JobDescriptionView => "job_description.view",
            Self::JobDescriptionEdit => "job_description.edit",
            Self::SecurityPolicyManage => "security_policy.manage",
            Self::UserUnlock => "user.unlock",
            Self::AuditView => "audit.view",
            Self::AuditExport => "audit.export",
            Self::AuditVerify => "audit.verify",
            Self::TicketReport => "ticket.report",
            Self::TicketView => "ticket.view",
            Self::TicketWork => "ticket.work",
            Self::TicketManage => "ticket.manage",
            Self::AssetView => "asset.view",
            Self::AssetManage => "asset.manage",
            Self::CalibrationRecord => "calibration.record",
            Self::InspectionView => "inspection.view",
            Self::InspectionRecord => "inspection.record",
            Self::PlanManage => "plan.manage",
        }
    }
}

/// Where a capability applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every organisation of the user's park.
    Park,
    /// Only the user's own organisation.
    OwnOrganisation,
}

/// The object an action is about: which park, and which organisation within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Park of the object.
    pub park_id: ParkId,
    /// Organisation owning the object, if it belongs to one.
    pub org_id: Option<OrgId>,
}

/// The grants of one post in one organisation type: the single rule table of access.
#[must_use]
pub fn grants(org_type: OrgType, post: Post) -> Vec<(Capability, Scope)> {
    use Capability as C;
    use Scope::{OwnOrganisation as Own, Park};
    if !post.is_allowed_in(org_type) {
        return Vec::new();
    }
    // Staff of the park's own side (using unit, O&M organisation, supervisors) see the
    // whole park; external organisations see only themselves (R-5, 等保 8.1.4.2f).
    let reach = if org_type.is_external() { Own } else { Park };
    match post {
        Post::SystemAdmin => vec![
            (C::DashboardView, Park),
            (C::OrgView, Park),
            (C::OrgManage, Park),
            (C::UserView, Park),
            (C::UserManage, Park),
            (C::PostAssignBusiness, Park),
            (C::JobDescriptionView, Park),
        ],
        Post::SecurityAdmin => vec![
            (C::DashboardView, Park),
            (C::OrgView, Park),
            (C::UserView, Park),
            (C::PostAssignBusiness, Park),
            (C::PostAssignAdmin, Park),
            (C::SecurityPolicyManage, Park),
            (C::UserUnlock, Park),
        ],
        Post::AuditAdmin => vec![(C::AuditView, Park), (C::AuditExport, Park), (C::AuditVerify, Park)],
        Post::Manager => vec![
            (C::DashboardView, reach),
            (C::OrgView, reach),
            (C::UserView, reach),
            (C::PostAssignBusiness, Own),
            (C::JobDescriptionView, Park),
            (C::JobDescriptionEdit, reach),
            (C::TicketReport, Own),
            (C::TicketView, reach),
            (C::TicketWork, reach),
            (C::TicketManage, reach),
            (C::AssetView, reach),
            (C::AssetManage, reach),
            (C::CalibrationRecord, reach),
            (C::InspectionView, reach),
            (C::InspectionRecord, reach),
            (C::PlanManage, reach),
        ],
        // Technicians keep the asset register; operators on duty read it.
        Post::Technician | Post::Operator => {
            let mut g = vec![
                (C::DashboardView, reach),
                (C::OrgView, reach),
                (C::UserView, Own),
                (C::JobDescriptionView, Park),
                (C::TicketReport, Own),
                (C::TicketView, reach),
                (C::TicketWork, reach),
                (C::AssetView, reach),
                // Technicians and operators on duty do the inspections.
                (C::InspectionView, reach),
                (C::InspectionRecord, reach),
            ];
            if post == Post::Technician {
                g.push((C::AssetManage, reach));
                g.push((C::CalibrationRecord, reach));
            }
            g
        }
        // The supervising side reads every ticket and works none.
        Post::Supervisor => vec![
            (C::DashboardView, Park),
            (C::OrgView, Park),
            (C::UserView, Park),
            (C::JobDescriptionView, Park),
            (C::TicketReport, Own),
            (C::TicketView, Park),
            (C::AssetView, Park),
            // Supervisors read inspection records and record none.
            (C::InspectionView, Park),
        ],
        // Supplier staff see and work the tickets assigned to their own organisation.
        Post::SupplierEngineer => vec![
            (C::DashboardView, Own),
            (C::UserView, Own),
            (C::JobDescriptionView, Park),
            (C::TicketReport, Own),
            (C::TicketView, Own),
            (C::TicketWork, Own),
            (C::AssetView, Own),
            // Suppliers and metrology contractors calibrate the CIs they maintain.
            (C::CalibrationRecord, Own),
            // Supplier engineers inspect what their organisation is assigned or maintains.
            (C::InspectionView, Own),
            (C::InspectionRecord, Own),
        ],
        Post::Reporter => vec![(C::DashboardView, Own), (C::TicketReport, Own)],
    }
}

/// Why a set of posts cannot be held together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// A user must hold at least one post (deny by default, but never an empty account).
    #[error("a user needs at least one post")]
    Empty,
    /// Two of the three administrators, or an administrator with a business post.
    #[error("{admin:?} cannot be combined with {other:?}")]
    SeparationOfDuties {
        /// The administrator post.
        admin: Post,
        /// The post it clashes with.
        other: Post,
    },
    /// The post does not exist in this type of organisation.
    #[error("{post:?} is not a post of a {org_type:?}")]
    NotInOrganisation {
        /// The post.
        post: Post,
        /// The organisation type.
        org_type: OrgType,
    },
}

/// Checks that `posts` can be held together by a member of an `org_type` organisation.
///
/// # Errors
/// [`PostError`] naming the first clash.
pub fn validate_posts(org_type: OrgType, posts: &BTreeSet<Post>) -> Result<(), PostError> {
    if posts.is_empty() {
        return Err(PostError::Empty);
    }
    for &post in posts {
        if !post.is_allowed_in(org_type) {
            return Err(PostError::NotInOrganisation { post, org_type });
        }
    }
    if let Some(&admin) = posts.iter().find(|p| p.is_admin())
        && let Some(&other) = posts.iter().find(|&&p| p != admin)
    {
        return Err(PostError::SeparationOfDuties { admin, other });
    }
    Ok(())
}

/// An authenticated caller, with everything needed to decide access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Their phone (may be empty).
    pub phone: String,
    /// Their park.
    pub park_id: ParkId,
    /// Their organisation.
    pub org_id: OrgId,
    /// Its type.
    pub org_type: OrgType,
    /// Their posts.
    pub posts: BTreeSet<Post>,
}

impl Principal {
    /// The widest scope in which this principal holds `capability`, if any.
    #[must_use]
    pub fn scope_of(&self, capability: Capability) -> Option<Scope> {
        self.posts
            .iter()
            .flat_map(|&p| grants(self.org_type, p))
            .filter(|&(c, _)| c == capability)
            .map(|(_, s)| s)
            .min()
    }

    /// Whether the principal holds `capability` anywhere (function-level check).
    #[must_use]
    pub fn has(&self, capability: Capability) -> bool {
        self.scope_of(capability).is_some()
    }

    /// Whether the principal may exercise `capability` on `target` (data-level check).
    #[must_use]
    pub fn can(&self, capability: Capability, target: Target) -> bool {
        if target.park_id != self.park_id {
            return false;
        }
        match self.scope_of(capability) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => target.org_id == Some(self.org_id),
            None => false,
        }
    }

    /// Whether the principal may assign (or remove) `post`.
    #[must_use]
    pub fn can_assign(&self, post: Post, target: Target) -> bool {
        let cap = if post.is_admin() { Capability::PostAssignAdmin } else { Capability::PostAssignBusiness };
        self.can(cap, target)
    }

    /// Whether any of the principal's posts makes a second factor mandatory.
    #[must_use]
    pub fn requires_totp(&self) -> bool {
        self.posts.iter().any(|p| p.requires_totp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(org_type: OrgType, posts: &[Post]) -> Principal {
        Principal {
            user_id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            username: "u".into(),
            display_name: "u".into(),
            phone: String::new(),
            park_id: ParkId::from_uuid(uuid::Uuid::from_u128(10)),
            org_id: OrgId::from_uuid(uuid::Uuid::from_u128(20)),
            org_type,
            posts: posts.iter().copied().collect(),
        }
    }

    fn target(park: u128, org: u128) -> Target {
        Target {
            park_id: ParkId::from_uuid(uuid::Uuid::from_u128(park)),
            org_id: Some(OrgId::from_uuid(uuid::Uuid::from_u128(org))),
        }
    }

    #[test]
    fn codes_round_trip() {
        for p in Post::ALL {
            assert_eq!(Post::parse(p.code()), Ok(p));
        }
        assert_eq!(Post::parse("security-admin"), Ok(Post::SecurityAdmin));
    }

    #[test]
    fn three_administrators_are_mutually_exclusive() {
        let admins = [Post::SystemAdmin, Post::SecurityAdmin, Post::AuditAdmin];
        for a in admins {
            for b in admins {
                if a != b {
                    let set: BTreeSet<_> = [a, b].into_iter().collect();
                    assert!(matches!(
                        validate_posts(OrgType::UsingUnit, &set),
                        Err(PostError::SeparationOfDuties { .. })
                    ));
                }
            }
        }
    }

    #[test]
    fn administrator_cannot_hold_business_post() {
        let set: BTreeSet<_> = [Post::SecurityAdmin, Post::Technician].into_iter().collect();
        assert!(validate_posts(OrgType::UsingUnit, &set).is_err());
    }

    #[test]
    fn business_posts_combine() {
        let set: BTreeSet<_> = [Post::Manager, Post::Technician].into_iter().collect();
        assert!(validate_posts(OrgType::ServiceOrganisation, &set).is_ok());
    }

    #[test]
    fn supervisor_only_in_supervising_side() {
        let set: BTreeSet<_> = [Post::Supervisor].into_iter().collect();
        assert!(validate_posts(OrgType::SupervisingDepartment, &set).is_ok());
        assert!(validate_posts(OrgType::ProductVendor, &set).is_err());
    }

    #[test]
    fn audit_admin_reads_audit_and_nothing_else() {
        let p = principal(OrgType::UsingUnit, &[Post::AuditAdmin]);
        assert!(p.has(Capability::AuditView));
        for c in Capability::ALL {
            let audit = matches!(c, Capability::AuditView | Capability::AuditExport | Capability::AuditVerify);
            assert_eq!(p.has(c), audit, "{c:?}");
        }
    }

    #[test]
    fn system_admin_cannot_touch_audit_or_security_policy() {
        let p = principal(OrgType::UsingUnit, &[Post::SystemAdmin]);
        assert!(!p.has(Capability::AuditView));
        assert!(!p.has(Capability::SecurityPolicyManage));
        assert!(!p.has(Capability::PostAssignAdmin));
    }

    #[test]
    fn supplier_engineer_sees_only_own_organisation() {
        let p = principal(OrgType::ProductVendor, &[Post::SupplierEngineer]);
        assert!(p.can(Capability::UserView, target(10, 20)));
        assert!(!p.can(Capability::UserView, target(10, 21)));
    }

    #[test]
    fn nothing_crosses_parks() {
        let p = principal(OrgType::SupervisingDepartment, &[Post::Supervisor]);
        assert!(p.can(Capability::OrgView, target(10, 99)));
        assert!(!p.can(Capability::OrgView, target(11, 20)));
    }

    #[test]
    fn desk_rights_follow_posts() {
        let reporter = principal(OrgType::Enterprise, &[Post::Reporter]);
        assert!(reporter.has(Capability::TicketReport) && !reporter.has(Capability::TicketView));
        let sup = principal(OrgType::SupervisingDepartment, &[Post::Supervisor]);
        assert!(sup.has(Capability::TicketView) && !sup.has(Capability::TicketWork));
        let vendor = principal(OrgType::ProductVendor, &[Post::SupplierEngineer]);
        assert_eq!(vendor.scope_of(Capability::TicketWork), Some(Scope::OwnOrganisation));
        let admin = principal(OrgType::UsingUnit, &[Post::SystemAdmin]);
        assert!(!admin.has(Capability::TicketView), "administrators do no business work");
        assert!(principal(OrgType::ServiceOrganisation, &[Post::Manager]).has(Capability::TicketManage));
    }

    #[test]
    fn asset_rights_follow_posts() {
        for post in [Post::Manager, Post::Technician] {
            let p = principal(OrgType::ServiceOrganisation, &[post]);
            assert_eq!(p.scope_of(Capability::AssetManage), Some(Scope::Park), "{post:?}");
        }
        let operator = principal(OrgType::ServiceOrganisation, &[Post::Operator]);
        assert!(operator.has(Capability::AssetView) && !operator.has(Capability::AssetManage));
        let sup = principal(OrgType::SupervisingDepartment, &[Post::Supervisor]);
        assert_eq!(sup.scope_of(Capability::AssetView), Some(Scope::Park));
        assert!(!sup.has(Capability::AssetManage));
        let vendor = principal(OrgType::ProductVendor, &[Post::SupplierEngineer]);
        assert_eq!(vendor.scope_of(Capability::AssetView), Some(Scope::OwnOrganisation));
        assert!(!vendor.has(Capability::AssetManage));
        let enterprise_tech = principal(OrgType::Enterprise, &[Post::Technician]);
        assert_eq!(enterprise_tech.scope_of(Capability::AssetManage), Some(Scope::OwnOrganisation));
        for post in [Post::Reporter, Post::SystemAdmin, Post::SecurityAdmin, Post::AuditAdmin] {
            let p = principal(OrgType::UsingUnit, &[post]);
            assert!(!p.has(Capability::AssetView), "{post:?}");
        }
    }

    #[test]
    fn inspection_rights_follow_posts() {
        let manager = principal(OrgType::ServiceOrganisation, &[Post::Manager]);
        assert_eq!(manager.scope_of(Capability::PlanManage), Some(Scope::Park));
        for post in [Post::Technician, Post::Operator] {
            let p = principal(OrgType::ServiceOrganisation, &[post]);
            assert_eq!(p.scope_of(Capability::InspectionRecord), Some(Scope::Park), "{post:?}");
            assert!(!p.has(Capability::PlanManage), "{post:?}");
        }
        let vendor = principal(OrgType::ProductVendor, &[Post::SupplierEngineer]);
        assert_eq!(vendor.scope_of(Capability::InspectionRecord), Some(Scope::OwnOrganisation));
        let sup = principal(OrgType::SupervisingDepartment, &[Post::Supervisor]);
        assert!(sup.has(Capability::InspectionView) && !sup.has(Capability::InspectionRecord));
        for post in [Post::Reporter, Post::SystemAdmin, Post::SecurityAdmin, Post::AuditAdmin] {
            let p = principal(OrgType::UsingUnit, &[post]);
            assert!(!p.has(Capability::InspectionView), "{post:?}");
        }
    }

    #[test]
    fn post_outside_its_organisation_type_grants_nothing() {
        assert!(grants(OrgType::Enterprise, Post::SystemAdmin).is_empty());
    }
}
