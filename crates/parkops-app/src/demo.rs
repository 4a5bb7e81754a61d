//! The demo park 江滨新材料化工园区 (fictional; `shared/domain.md` §4.1): its organisations,
//! a user for every post, job descriptions and the default security policy. Loaded on an
//! empty database by `serve --demo` or from the first-run page. All names are synthetic.

use std::collections::BTreeSet;

use parkops_domain::access::Post;
use parkops_domain::audit::Outcome;
use parkops_domain::id::{JobDescriptionId, OrgId, ParkId, UserId};
use parkops_domain::org::{OrgType, Organisation, Park};
use parkops_domain::session::LoginFailures;
use serde_json::json;

use crate::ports::{JobDescriptionRecord, PolicyRecord, UserRecord};
use crate::settings::SecurityPolicy;
use crate::{App, AppError, Caller, secret};

/// The password of every demo account (meets the standard's policy). Documented in the README.
pub const DEMO_PASSWORD: &str = "Jiangbin@2026";
/// The demo park's code.
pub const DEMO_PARK_CODE: &str = "JB";

const SUPERVISING: [(&str, &str); 4] =
    [("AJJ", "园区安监局"), ("STHJ", "生态环境分局"), ("YJGL", "应急管理局"), ("GXJ", "工信局")];

const SUPPLIERS: [(&str, &str, OrgType); 9] = [
    ("PLAT", "江滨数智平台科技有限公司", OrgType::ProductVendor),
    ("VIDEO", "华瞳视频技术有限公司", OrgType::ProductVendor),
    ("GATE", "安卡门禁卡口系统有限公司", OrgType::ProductVendor),
    ("ENVOP", "清源环境监测运营有限公司", OrgType::ProductVendor),
    ("GASDET", "安测气体仪表有限公司", OrgType::ProductVendor),
    ("NETINT", "联创网络系统集成有限公司", OrgType::ProductVendor),
    ("SEC", "盾安网络安全技术有限公司", OrgType::ProductVendor),
    ("CARRIER", "江滨通信运营分公司", OrgType::Carrier),
    ("ENERGY", "能衡计量设备有限公司", OrgType::ProductVendor),
];

/// 48 enterprises: 20 production, 12 storage, 6 logistics, 10 service (domain.md §4.1).
pub(crate) const ENTERPRISE_STEMS: [&str; 48] = [
    "恒力", "华泰", "瑞丰", "金江", "远东", "新奥", "永盛", "海晟", "宏达", "中泽", "晨光", "鑫源", "天和", "万华",
    "博源", "安泰", "立信", "嘉禾", "润邦", "联合", "长江", "江海", "顺达", "东港", "安储", "鼎盛", "汇通", "兴业",
    "宝丰", "通港", "广源", "信诚", "捷运", "畅达", "安行", "速通", "通衢", "远航", "康源", "绿洲", "明德", "创新",
    "智联", "和信", "正大", "华信", "同创", "启明",
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高",
];
const GIVEN: [&str; 12] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰"];

fn person(i: usize) -> String {
    format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 7 + i / SURNAMES.len()) % GIVEN.len()])
}

pub(crate) fn enterprise_kind(i: usize) -> &'static str {
    match i {
        0..20 => "化工有限公司",
        20..32 => "仓储有限公司",
        32..38 => "物流有限公司",
        _ => "服务有限公司",
    }
}

fn job_description(post: Post) -> (&'static str, &'static str) {
    match post {
        Post::Manager => (
            "运维管理负责人岗位职责说明书",
            "一、岗位职责\n1. 组织编制运维计划、制度与规范，对运维质量、进度和成本进行总体控制；\n2. 按岗位配备人员并分配岗位，审核岗位职责说明书；\n3. 审批变更、供应商评价与改进计划，组织自查与评估。\n二、任职要求\n具备化工园区智慧化系统运维管理经验，熟悉 T/CPCIF 运维管理要求。\n三、权限\n本单位人员岗位分配；运维工单与计划的审批。",
        ),
        Post::Technician => (
            "技术员岗位职责说明书",
            "一、岗位职责\n1. 按巡检标准开展设备巡检、维护与校准，逐项记录原始数据；\n2. 处理二线故障工单，参与变更实施与恢复演练；\n3. 维护资产台账与技术文档。\n二、任职要求\n熟悉网络、服务器、视频或仪表等专业之一，持有相应资质证书。",
        ),
        Post::Operator => (
            "操作员（值班员）岗位职责说明书",
            "一、岗位职责\n1. 7×24 小时值守监控平台，受理报障并登记工单；\n2. 首次诊断、远程重启与派单，按级别跟踪响应时限；\n3. 交接班记录完整、可追溯。\n二、任职要求\n熟悉园区各智慧化系统基本功能与报警处置流程。",
        ),
        Post::Supervisor => (
            "监督员岗位职责说明书",
            "一、岗位职责\n1. 对运维工作实施监督，查阅全部运维记录；\n2. 审批运维需求、配置基线与终止方案；\n3. 下达检查意见并跟踪整改。",
        ),
        Post::SupplierEngineer => (
            "服务商工程师岗位职责说明书",
            "一、岗位职责\n1. 在合同范围与授权时段内处理工单与变更；\n2. 遵守保密协议与行为规范，系统权限与密码按规定管理；\n3. 人员变更提前报备并完成交接。",
        ),
        Post::Reporter => (
            "报障人岗位职责说明书",
            "一、职责\n1. 发现智慧化系统异常及时报障，描述现象、位置与影响；\n2. 跟踪处理进度，确认修复结果并评价服务。",
        ),
        Post::SystemAdmin => (
            "系统管理员岗位职责说明书",
            "一、岗位职责（等保三级 三员分立）\n1. 管理用户账户、组织与系统资源，负责系统启动、备份与恢复；\n2. 不得查阅或处置审计记录，不得修改安全策略与授权。",
        ),
        Post::SecurityAdmin => (
            "安全管理员岗位职责说明书",
            "一、岗位职责（等保三级 三员分立）\n1. 配置安全策略（口令、锁定、会话、双因素认证）与授权；\n2. 解锁账户、重置第二因素；\n3. 不得从事业务操作，不得修改审计记录。",
        ),
        Post::AuditAdmin => (
            "审计管理员岗位职责说明书",
            "一、岗位职责（等保三级 三员分立）\n1. 查询、分析、导出与校验审计记录及签名检查点；\n2. 不得修改用户、配置或业务数据。",
        ),
    }
}

struct Builder<'a> {
    app: &'a App,
    caller: Caller,
    park: ParkId,
    hash: String,
    users: Vec<UserRecord>,
    orgs: Vec<Organisation>,
}

impl Builder<'_> {
    fn org(&mut self, code: &str, name: &str, org_type: OrgType, contact: &str) -> OrgId {
        let id = OrgId::from_uuid(uuid::Uuid::now_v7());
        self.orgs.push(Organisation {
            id,
            park_id: self.park,
            org_type,
            code: format!("JB-{code}"),
            name: name.to_owned(),
            contact: contact.to_owned(),
            phone: format!("0510-8{:07}", self.orgs.len() * 7919 % 10_000_000),
            is_active: true,
        });
        id
    }

    fn user(&mut self, org: OrgId, username: &str, name: &str, posts: &[Post]) {
        let now = self.app.clock.now();
        let n = self.users.len();
        self.users.push(UserRecord {
            id: UserId::from_uuid(uuid::Uuid::now_v7()),
            park_id: self.park,
            org_id: org,
            username: username.to_owned(),
            display_name: name.to_owned(),
            phone: format!("139{:08}", (n * 7_654_321) % 100_000_000),
            email: format!("{username}@jiangbin.example"),
            password_hash: self.hash.clone(),
            password_changed_at: now,
            must_change_password: false,
            is_active: true,
            failures: LoginFailures::default(),
            totp_secret: None,
            totp_last_step: 0,
            posts: posts.iter().copied().collect::<BTreeSet<_>>(),
            created_at: now,
            last_login_at: None,
        });
    }
}

impl App {
    /// Whether the demo park is already present.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn has_demo(&self) -> Result<bool, AppError> {
        Ok(self.store.parks().await?.iter().any(|p| p.code == DEMO_PARK_CODE))
    }

    /// Loads the demo park in one transaction, unless it is present, then its service desk
    /// ([`App::load_demo_desk`]) and its asset register ([`App::load_demo_assets`]). Returns
    /// whether it loaded.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn load_demo(&self, caller: &Caller) -> Result<bool, AppError> {
        if self.has_demo().await? {
            return Ok(false);
        }
        let park = Park {
            id: ParkId::from_uuid(uuid::Uuid::now_v7()),
            code: DEMO_PARK_CODE.into(),
            name: "江滨新材料化工园区".into(),
        };
        // One hash for all demo accounts: they share a published password anyway, and 96
        // argon2 runs would make the first start slow for no benefit.
        let mut b = Builder {
            app: self,
            caller: caller.clone(),
            park: park.id,
            hash: secret::hash_password(DEMO_PASSWORD),
            users: Vec::new(),
            orgs: Vec::new(),
        };
        let unit = b.org("GWH", "江滨园区管委会（信息中心）", OrgType::UsingUnit, "周信");
        let om = b.org("ZW", "江滨智维科技有限公司", OrgType::ServiceOrganisation, "陈运");
        let mut person_no = 0;
        let mut next_person = || {
            person_no += 1;
            person(person_no)
        };
        for (i, (code, name)) in SUPERVISING.iter().enumerate() {
            let org = b.org(code, name, OrgType::SupervisingDepartment, &next_person());
            for k in 0..2 {
                let n = i * 2 + k + 1;
                b.user(org, &format!("jb.sup{n:02}"), &next_person(), &[Post::Supervisor]);
            }
        }
        b.user(unit, "jb.sysadmin", &next_person(), &[Post::SystemAdmin]);
        b.user(unit, "jb.secadmin", &next_person(), &[Post::SecurityAdmin]);
        b.user(unit, "jb.auditor", &next_person(), &[Post::AuditAdmin]);
        b.user(unit, "jb.auditor2", &next_person(), &[Post::AuditAdmin]);
        for n in 1..=10 {
            b.user(unit, &format!("jb.unit{n:02}"), &next_person(), &[Post::Supervisor]);
        }
        b.user(om, "jb.manager", &next_person(), &[Post::Manager]);
        for n in 1..=8 {
            b.user(om, &format!("jb.tech{n:02}"), &next_person(), &[Post::Technician]);
        }
        for n in 1..=10 {
            b.user(om, &format!("jb.op{n:02}"), &next_person(), &[Post::Operator]);
        }
        for (i, (code, name, t)) in SUPPLIERS.iter().enumerate() {
            let org = b.org(code, name, *t, &next_person());
            for k in 0..2 {
                let n = i * 2 + k + 1;
                b.user(org, &format!("jb.vendor{n:02}"), &next_person(), &[Post::SupplierEngineer]);
            }
        }
        let mut contact_no = 0;
        for (i, stem) in ENTERPRISE_STEMS.iter().enumerate() {
            let org = b.org(
                &format!("E{:02}", i + 1),
                &format!("江滨{stem}{}", enterprise_kind(i)),
                OrgType::Enterprise,
                &next_person(),
            );
            // The first 18 enterprises hold major hazard sources (重大危险源): two contacts each.
            if i < 18 {
                for _ in 0..2 {
                    contact_no += 1;
                    b.user(org, &format!("jb.ent{contact_no:02}"), &next_person(), &[Post::Reporter]);
                }
            }
        }
        let now = self.clock.now();
        let Builder { caller, users, orgs, .. } = b;
        let mut tx = self.store.begin().await?;
        tx.insert_park(&park, now).await?;
        tx.audit(
            caller.entry(
                "park.create",
                "park",
                &park.id.to_string(),
                Outcome::Success,
                json!({ "code": park.code, "name": park.name, "demo": true }).to_string(),
            ),
            now,
        )
        .await?;
        for o in &orgs {
            tx.insert_org(o, now).await?;
            tx.audit(
                caller.entry(
                    "org.create",
                    "organisation",
                    &o.id.to_string(),
                    Outcome::Success,
                    json!({ "code": o.code, "name": o.name, "org_type": o.org_type.code(), "demo": true }).to_string(),
                ),
                now,
            )
            .await?;
        }
        for u in &users {
            tx.insert_user(u).await?;
            let posts: Vec<_> = u.posts.iter().map(|p| p.code()).collect();
            tx.audit(
                caller.entry(
                    "user.create",
                    "user",
                    &u.id.to_string(),
                    Outcome::Success,
                    json!({ "username": u.username, "posts": posts, "demo": true }).to_string(),
                ),
                now,
            )
            .await?;
        }
        for post in Post::ALL {
            let (title, content) = job_description(post);
            let jd = JobDescriptionRecord {
                id: JobDescriptionId::from_uuid(uuid::Uuid::now_v7()),
                park_id: park.id,
                post,
                version: 1,
                title: title.into(),
                content: content.into(),
                change_note: "初始版本".into(),
                created_by: caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone()),
                created_at: now,
            };
            tx.insert_job_description(&jd).await?;
            tx.audit(
                caller.entry(
                    "job_description.publish",
                    "job_description",
                    &jd.id.to_string(),
                    Outcome::Success,
                    json!({ "post": post.code(), "version": 1, "demo": true }).to_string(),
                ),
                now,
            )
            .await?;
        }
        if self.store.policy().await?.is_none() {
            let body = SecurityPolicy::default().to_json().to_string();
            tx.insert_policy(&PolicyRecord {
                version: 1,
                body: body.clone(),
                created_by: "system".into(),
                created_at: now,
            })
            .await?;
            tx.audit(caller.entry("security_policy.update", "security_policy", "1", Outcome::Success, body), now)
                .await?;
        }
        tx.commit().await?;
        self.load_demo_desk(&caller, park.id).await?;
        // Asset register (issue 4): the CIs of domain.md §4.2.
        self.load_demo_assets(&caller, park.id).await?;
        Ok(true)
    }

    /// Loads the demo park's record history (issue 4), unless present: calibration records
    /// from the CIs' verification attributes ([`App::load_demo_calibrations`]), then the demo
    /// plans as of 90 days ago and the 90 days of inspection results since, through the
    /// schedules' use cases ([`App::load_demo_schedule_history`]). `parkops demo` and
    /// `serve --demo` run it after [`App::load_demo`]; tests that need the history call it,
    /// the others keep a demo without plans (and a second of loading less each).
    ///
    /// # Errors
    /// [`AppError::Unavailable`]; [`AppError::NotFound`] without the demo park.
    pub async fn load_demo_history(&self, caller: &Caller) -> Result<(), AppError> {
        let park =
            self.store.parks().await?.into_iter().find(|p| p.code == DEMO_PARK_CODE).ok_or(AppError::NotFound)?;
        self.load_demo_calibrations(caller, park.id).await?;
        self.load_demo_schedule_history(caller, park.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_password_meets_the_default_policy() {
        let p = SecurityPolicy::default();
        assert!(
            p.password
                .violations(DEMO_PASSWORD, "jb.manager", secret::is_common_password(DEMO_PASSWORD, &[]))
                .is_empty()
        );
    }

    #[test]
    fn every_demo_post_fits_its_organisation() {
        assert!(Post::Supervisor.is_allowed_in(OrgType::SupervisingDepartment));
        assert!(Post::SupplierEngineer.is_allowed_in(OrgType::Carrier));
        assert!(Post::Reporter.is_allowed_in(OrgType::Enterprise));
        assert!(Post::SystemAdmin.is_allowed_in(OrgType::UsingUnit));
    }
}
