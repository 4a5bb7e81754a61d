//! Form bodies: repeated keys allowed (multi-selects), size-limited, and the synchronizer
//! CSRF token checked before a handler sees any field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;

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
fn same(a: &str, b: &str) -> bool {
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
