//! Parks and organisations. Every user belongs to exactly one organisation,
//! and every organisation to one park.

use crate::id::{OrgId, ParkId};

/// The kind of organisation, as the standard distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgType {
    /// 业务主管部门 — oversees, approves baselines and plans, reads everything.
    SupervisingDepartment,
    /// 使用单位 — the park's owner of the smart systems.
    UsingUnit,
    /// 运维服务机构 — does the O&M work under delegation.
    ServiceOrganisation,
    /// 产品供应商 — maker of smart-park products.
    ProductVendor,
    /// 企业 — an enterprise inside the park.
    Enterprise,
    /// 运营商 — a telecom carrier providing links and SIMs.
    Carrier,
}

impl OrgType {
    /// Every organisation type, in display order.
    pub const ALL: [Self; 6] = [
        Self::SupervisingDepartment,
        Self::UsingUnit,
        Self::ServiceOrganisation,
        Self::ProductVendor,
        Self::Enterprise,
        Self::Carrier,
    ];

    /// The stable code used in storage, the API and resource-file keys.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::SupervisingDepartment => "supervising_department",
            Self::UsingUnit => "using_unit",
            Self::ServiceOrganisation => "service_organisation",
            Self::ProductVendor => "product_vendor",
            Self::Enterprise => "enterprise",
            Self::Carrier => "carrier",
        }
    }

    /// The type with this code.
    ///
    /// # Errors
    /// [`UnknownCode`] for any other text.
    pub fn parse(code: &str) -> Result<Self, UnknownCode> {
        Self::ALL.into_iter().find(|t| t.code() == code).ok_or(UnknownCode)
    }

    /// Supplier-like organisations work only within their contract and their own data.
    #[must_use]
    pub const fn is_external(self) -> bool {
        match self {
            Self::ProductVendor | Self::Enterprise | Self::Carrier => true,
            Self::SupervisingDepartment | Self::UsingUnit | Self::ServiceOrganisation => false,
        }
    }
}

/// A code that names no known variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown code")]
pub struct UnknownCode;

/// A park (化工园区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Park {
    /// Identifier.
    pub id: ParkId,
    /// Short code, e.g. `JB`.
    pub code: String,
    /// Full name, e.g. 江滨新材料化工园区.
    pub name: String,
}

/// An organisation within a park.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Identifier.
    pub id: OrgId,
    /// The park it belongs to.
    pub park_id: ParkId,
    /// Its type, which together with a user's post decides capabilities.
    pub org_type: OrgType,
    /// Unique code within the park.
    pub code: String,
    /// Name.
    pub name: String,
    /// Contact person, free text.
    pub contact: String,
    /// Contact phone.
    pub phone: String,
    /// Whether it is active; inactive organisations' users cannot log in.
    pub is_active: bool,
}

/// Why an organisation's fields were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    /// The code is empty, too long or has characters outside `A-Z a-z 0-9 - _`.
    #[error("organisation code is invalid")]
    InvalidCode,
    /// The name is empty or longer than the limit.
    #[error("organisation name must be 1 to {max} characters")]
    InvalidName {
        /// Maximum length in characters.
        max: usize,
    },
}

/// Maximum length of names (characters).
pub const NAME_MAX: usize = 100;

/// Checks a code: 1–32 characters of `A-Z a-z 0-9 - _`.
///
/// # Errors
/// [`OrgError::InvalidCode`].
pub fn validate_code(code: &str) -> Result<(), OrgError> {
    let ok =
        !code.is_empty() && code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(OrgError::InvalidCode) }
}

/// Checks a display name: 1–100 characters after trimming.
///
/// # Errors
/// [`OrgError::InvalidName`].
pub fn validate_name(name: &str) -> Result<(), OrgError> {
    let n = name.trim().chars().count();
    if n == 0 || n > NAME_MAX { Err(OrgError::InvalidName { max: NAME_MAX }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_type_codes_round_trip() {
        for t in OrgType::ALL {
            assert_eq!(OrgType::parse(t.code()), Ok(t));
        }
        assert_eq!(OrgType::parse("nope"), Err(UnknownCode));
    }

    #[test]
    fn codes_and_names_are_validated() {
        assert!(validate_code("JB-OM_1").is_ok());
        assert!(validate_code("").is_err());
        assert!(validate_code("江滨").is_err());
        assert!(validate_name("江滨智维科技").is_ok());
        assert!(validate_name("  ").is_err());
    }
}
