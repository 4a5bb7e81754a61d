//! Chinese messages for refused console input. The operator at the server's console reads
//! Chinese first (DESIGN.md); each line also carries the stable rule code in brackets.
//!
//! The keys are the app's message keys (`FieldError::key`), the same ones the web layer
//! localises from its resource files.

use parkops_app::FieldError;
use parkops_domain::access::{Post, PostError};
use parkops_domain::org::OrgType;

/// One refused field as a line for stderr: `密码：缺少大写字母 [missing_upper]`.
pub fn field_error(e: &FieldError) -> String {
    let arg = |name: &str| e.args.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str()).to_owned();
    let text = match e.key.as_str() {
        "err-password-too_short" => format!("长度不足，至少 {} 个字符", arg("min")),
        "err-password-too_long" => format!("过长，最多 {} 个字符", arg("max")),
        "err-password-missing_upper" => "缺少大写字母".to_owned(),
        "err-password-missing_lower" => "缺少小写字母".to_owned(),
        "err-password-missing_digit" => "缺少数字".to_owned(),
        "err-password-missing_special" => "缺少特殊字符".to_owned(),
        "err-password-common" => "属于常见弱口令，容易被猜中".to_owned(),
        "err-password-contains_username" => "不得包含用户名".to_owned(),
        "err-password-reused" => format!("不得与最近 {} 次使用过的密码相同", arg("count")),
        "err-username" => "用户名须为 3–32 个字母、数字或 . _ -".to_owned(),
        "err-username-taken" => "用户名已被占用".to_owned(),
        "err-org" => "组织不存在".to_owned(),
        "err-post" => "未知岗位".to_owned(),
        "err-posts-empty" => "至少需要一个岗位".to_owned(),
        "err-posts-separation" => {
            format!("三员分立：{} 不得与 {} 兼任", post_name_of_code(&arg("admin")), post_name_of_code(&arg("other")))
        }
        "err-posts-org" => {
            format!("岗位“{}”不适用于{}", post_name_of_code(&arg("post")), org_type_name_of_code(&arg("org_type")))
        }
        "err-required-50" => "必填，最多 50 个字符".to_owned(),
        "err-phone" => "电话号码格式不正确".to_owned(),
        "err-email" => "电子邮箱格式不正确".to_owned(),
        other => other.to_owned(),
    };
    let code = e.key.strip_prefix("err-password-").or_else(|| e.key.strip_prefix("err-")).unwrap_or(&e.key);
    format!("{}：{text} [{code}]", field_name(e.field))
}

/// A post rule broken before any account exists, in the same form as [`field_error`].
pub fn post_error(e: &PostError) -> String {
    let fe = match *e {
        PostError::Empty => FieldError::new("posts", "err-posts-empty"),
        PostError::SeparationOfDuties { admin, other } => {
            FieldError::new("posts", "err-posts-separation").arg("admin", admin.code()).arg("other", other.code())
        }
        PostError::NotInOrganisation { post, org_type } => {
            FieldError::new("posts", "err-posts-org").arg("post", post.code()).arg("org_type", org_type.code())
        }
    };
    field_error(&fe)
}

/// The Chinese name of a post (岗位).
pub const fn post_name(post: Post) -> &'static str {
    match post {
        Post::Manager => "运维管理负责人",
        Post::Technician => "技术员",
        Post::Operator => "操作员",
        Post::Supervisor => "监督员",
        Post::SupplierEngineer => "服务商工程师",
        Post::Reporter => "报障人",
        Post::SystemAdmin => "系统管理员",
        Post::SecurityAdmin => "安全管理员",
        Post::AuditAdmin => "审计管理员",
    }
}

fn post_name_of_code(code: &str) -> String {
    Post::parse(code).map_or_else(|_| code.to_owned(), |p| post_name(p).to_owned())
}

fn org_type_name_of_code(code: &str) -> String {
    let name = match OrgType::parse(code) {
        Ok(OrgType::SupervisingDepartment) => "监管部门",
        Ok(OrgType::UsingUnit) => "使用单位",
        Ok(OrgType::ServiceOrganisation) => "运维服务机构",
        Ok(OrgType::ProductVendor) => "产品供应商",
        Ok(OrgType::Enterprise) => "园区企业",
        Ok(OrgType::Carrier) => "通信运营商",
        Err(_) => return code.to_owned(),
    };
    name.to_owned()
}

fn field_name(field: &str) -> &str {
    match field {
        "password" => "密码",
        "username" => "用户名",
        "display_name" => "姓名",
        "phone" => "电话",
        "email" => "电子邮箱",
        "org_id" => "组织",
        "posts" => "岗位",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules_read_in_chinese_with_their_code() {
        let e = FieldError::new("password", "err-password-too_short").arg("min", 8);
        assert_eq!(field_error(&e), "密码：长度不足，至少 8 个字符 [too_short]");
        assert_eq!(
            field_error(&FieldError::new("password", "err-password-missing_upper")),
            "密码：缺少大写字母 [missing_upper]"
        );
    }

    #[test]
    fn post_rules_name_the_posts() {
        let e = PostError::SeparationOfDuties { admin: Post::SystemAdmin, other: Post::AuditAdmin };
        assert_eq!(post_error(&e), "岗位：三员分立：系统管理员 不得与 审计管理员 兼任 [posts-separation]");
    }

    #[test]
    fn unknown_keys_are_shown_as_they_are() {
        assert_eq!(field_error(&FieldError::new("x", "err-new-thing")), "x：err-new-thing [new-thing]");
    }
}
