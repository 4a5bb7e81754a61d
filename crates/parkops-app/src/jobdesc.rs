//! Job descriptions (岗位职责说明书, R-8.1.1): one versioned document per post and park.

use parkops_domain::access::{Capability, Post, Target};
use parkops_domain::audit::Outcome;
use parkops_domain::id::JobDescriptionId;
use serde_json::json;

use crate::ports::JobDescriptionRecord;
use crate::{App, AppError, Caller, FieldError};

impl App {
    /// Every version of every job description in the caller's park, newest version first per post.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::JobDescriptionView`].
    pub async fn job_descriptions(&self, caller: &Caller) -> Result<Vec<JobDescriptionRecord>, AppError> {
        let p = caller.require_any(Capability::JobDescriptionView)?;
        Ok(self.store.job_descriptions(p.park_id).await?)
    }

    /// Issues a new version of the job description of `post`. Earlier versions stay.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for empty fields; [`AppError::Forbidden`].
    pub async fn publish_job_description(
        &self,
        caller: &Caller,
        post: &str,
        title: &str,
        content: &str,
        change_note: &str,
    ) -> Result<JobDescriptionRecord, AppError> {
        let p = caller.require_any(Capability::JobDescriptionEdit)?;
        caller.require(Capability::JobDescriptionEdit, Target { park_id: p.park_id, org_id: Some(p.org_id) })?;
        let mut errors = Vec::new();
        let post = Post::parse(post);
        if post.is_err() {
            errors.push(FieldError::new("post", "err-post"));
        }
        if title.trim().is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new("title", "err-required-100"));
        }
        if content.trim().is_empty() || content.chars().count() > 20_000 {
            errors.push(FieldError::new("content", "err-required-20000"));
        }
        if change_note.chars().count() > 200 {
            errors.push(FieldError::new("change_note", "err-too-long").arg("max", 200));
        }
        let Ok(post) = post else { return Err(AppError::Invalid(errors)) };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let existing = self.store.job_descriptions(p.park_id).await?;
        let version = existing.iter().filter(|j| j.post == post).map(|j| j.version).max().unwrap_or(0) + 1;
        let now = self.clock.now();
        let rec = JobDescriptionRecord {
            id: JobDescriptionId::from_uuid(uuid::Uuid::now_v7()),
            park_id: p.park_id,
            post,
            version,
            title: title.trim().to_owned(),
            content: content.trim().to_owned(),
            change_note: change_note.trim().to_owned(),
            created_by: p.username.clone(),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_job_description(&rec).await?;
        let d = json!({ "post": post.code(), "version": version, "title": rec.title, "content_sha256": hex::encode(parkops_domain::audit::digest(&rec.content)), "change_note": rec.change_note });
        tx.audit(
            caller.entry(
                "job_description.publish",
                "job_description",
                &rec.id.to_string(),
                Outcome::Success,
                d.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }
}
