//! Form bodies: repeated keys allowed (multi-selects), size-limited, and the synchronizer
//! CSRF token checked before a handler sees any field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_domain::access::Post;
use parkops_domain::id::{ApiTokenId, OrgId, UserId};

use crate::guard::Ctx;

/// A parsed `application/x-www-form-urlencoded` body whose CSRF token matched the session.
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Parses a body.
    #[must_use]
    pub fn parse(body: &[u8]) -> Self {
        Self { pairs: form_urlencoded::parse(body).into_owned().collect() }
    }

    /// The first value of `name`, or empty.
    #[must_use]
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    #[must_use]
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A checkbox: present with any value but `0`/`false`.
    #[must_use]
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && v != "0" && v != "false")
    }
}

/// Equal-time comparison of two tokens.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req.extensions().get::<Ctx>().cloned();
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let form = Self::parse(&bytes);
        if let Some(ctx) = ctx
            && let Some(session) = &ctx.session
            && !same(form.get("csrf"), &session.csrf_token)
        {
            return Err(ctx
                .err(AppError::Forbidden { capability: parkops_domain::access::Capability::DashboardView })
                .into_response());
        }
        Ok(form)
    }
}

/// A value named by the last path parameter (`{id}`, `{post}`).
pub trait PathValue: Sized {
    /// The value, if the text names one.
    fn from_path(text: &str) -> Option<Self>;
}

macro_rules! path_ids {
    ($($t:ty),*) => { $(impl PathValue for $t {
        fn from_path(text: &str) -> Option<Self> {
            <$t>::parse(text).ok()
        }
    })* };
}
path_ids!(UserId, OrgId, ApiTokenId, Post);

/// Tickets and attachments are named by a bare UUID.
impl PathValue for uuid::Uuid {
    fn from_path(text: &str) -> Option<Self> {
        Self::parse_str(text).ok()
    }
}

/// A support line by its code (`l1`, `l2`, `l3`).
impl PathValue for parkops_domain::ticket::SupportLine {
    fn from_path(text: &str) -> Option<Self> {
        Self::parse(text)
    }
}

/// A calendar year, written with four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Year(pub i32);

impl PathValue for Year {
    fn from_path(text: &str) -> Option<Self> {
        (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok().map(Year)).flatten()
    }
}

/// The path parameter parsed into its type; anything else is a localised 404, the same
/// answer as for an object that does not exist or is out of the caller's scope.
#[derive(Debug, Clone, Copy)]
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: PathValue> FromRequestParts<S> for IdPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts.extensions.get::<Ctx>().cloned();
        let raw = Path::<String>::from_request_parts(parts, state).await.map(|Path(p)| p).unwrap_or_default();
        T::from_path(&raw).map(IdPath).ok_or_else(|| match ctx {
            Some(c) => c.err(AppError::NotFound).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_flags() {
        let f = FormData::parse(b"posts=manager&posts=technician&is_active=on&name=%E6%B1%9F%E6%BB%A8");
        assert_eq!(f.all("posts"), vec!["manager", "technician"]);
        assert!(f.flag("is_active"));
        assert!(!f.flag("missing"));
        assert_eq!(f.get("name"), "江滨");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
