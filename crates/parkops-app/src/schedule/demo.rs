//! The demo park's inspection standards and plans (`shared/domain.md` §2.1, §4.3): the
//! platform's default standards, and plans for the park's own cameras (monthly), the edge
//! gateways (monthly), the machine rooms (monthly, with their precision air conditioners),
//! the CEMS stacks (weekly, on the working calendar) and the gas detectors' yearly
//! verification (a calibration plan). Their tasks come from the scheduler, as in a real park.

use std::collections::BTreeSet;

use chrono::Days;
use parkops_domain::access::Post;
use parkops_domain::asset::LifecycleState;
use parkops_domain::audit::Outcome;
use parkops_domain::id::ParkId;
use parkops_domain::recurrence::{Every, Recurrence, Shift};
use parkops_domain::schedule::{self as domain, PlanId, PlanKind};
use serde_json::json;

use crate::ports::asset::AssetFilter;
use crate::ports::schedule::{PlanRecord, PlanTarget};
use crate::ports::{PageRequest, UserFilter};
use crate::{App, AppError, Caller};

/// (name, kind, standard, class, days from today to the first due date, interval, on working days)
const PLANS: [(&str, PlanKind, &str, &str, u64, Every, bool); 5] = [
    ("园区公共区域摄像机月度巡检", PlanKind::Inspection, "camera_monthly", "camera", 3, Every::Months(1), true),
    ("边缘网关月度检查", PlanKind::Inspection, "edge_gateway_monthly", "edge_gateway", 1, Every::Months(1), true),
    ("机房月度巡检", PlanKind::Inspection, "machine_room_monthly", "precision_ac", 2, Every::Months(1), true),
    ("CEMS 周巡检", PlanKind::Inspection, "cems_weekly", "cems", 0, Every::Weeks(1), true),
    ("气体探测器年度检定", PlanKind::Calibration, "", "gas_detector", 20, Every::Months(12), false),
];

impl App {
    /// Installs the default standards and the demo plans in `park`; does nothing when the park
    /// has plans already. The park's own cameras are those of no enterprise.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn load_demo_schedules(&self, caller: &Caller, park: ParkId) -> Result<(), AppError> {
        if !self.store.plans(park).await?.is_empty() {
            return Ok(());
        }
        let by = caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone());
        self.install_default_standards_in(caller, park, &by).await?;
        let managers =
            UserFilter { park_id: Some(park), post: Some(Post::Manager), active: Some(true), ..UserFilter::default() };
        let owner = self.store.users(&managers, PageRequest { page: 1, per_page: 1 }).await?.items.into_iter().next();
        let now = self.clock.now();
        let today = domain::cst_date(now);
        let mut tx = self.store.begin().await?;
        for (name, kind, standard, class, offset, every, working) in PLANS {
            let anchor = today.checked_add_days(Days::new(offset)).unwrap_or(today);
            let shift = if working { Shift::NextWorkingDay } else { Shift::Keep };
            let Ok(recurrence) = Recurrence::new(anchor, every, shift) else { continue };
            // The park inspects its own cameras; the enterprises' cameras it only watches.
            let assets = if class == "camera" {
                let filter = AssetFilter {
                    park_id: Some(park),
                    classes: vec![class.to_owned()],
                    states: vec![LifecycleState::InService],
                    ..AssetFilter::default()
                };
                let all = self.store.assets(&filter, PageRequest { page: 1, per_page: 2000 }).await?.items;
                let own: BTreeSet<_> = all.iter().filter(|a| a.enterprise_org_id.is_none()).map(|a| a.id).collect();
                own.into_iter().collect()
            } else {
                Vec::new()
            };
            let plan = PlanRecord {
                id: PlanId::from_uuid(uuid::Uuid::now_v7()),
                park_id: park,
                kind,
                name: name.to_owned(),
                standard_code: standard.to_owned(),
                target: PlanTarget { class: class.to_owned(), zone: None, enterprise: None, assets },
                recurrence,
                assignee_org_id: owner.as_ref().map(|u| u.org_id),
                assignee_user_id: None,
                owner_user_id: owner.as_ref().map(|u| u.id),
                lead_days: 3,
                grace_days: if kind == PlanKind::Calibration { 15 } else { 2 },
                escalate_after_days: Some(3),
                paused: false,
                effective_from: today,
                generated_until: None,
                revision: 1,
                created_by: by.clone(),
                created_at: now,
                updated_by: by.clone(),
                updated_at: now,
            };
            tx.insert_plan(&plan).await?;
            let detail = json!({ "name": plan.name, "kind": kind.code(), "standard": standard, "targets": plan.target.assets.len(), "demo": true });
            tx.audit(
                caller.entry(
                    "plan.create",
                    "schedule_plan",
                    &plan.id.to_string(),
                    Outcome::Success,
                    detail.to_string(),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
