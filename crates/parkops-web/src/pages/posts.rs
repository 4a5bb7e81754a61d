//! Posts and their versioned job descriptions (岗位职责说明书, R-8.1.1).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::ports::{PageRequest, UserFilter};
use parkops_domain::access::{Capability, Post};

use super::{Chrome, FormState, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::pages::auth::Flash;

#[derive(Template)]
#[template(path = "posts.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<(String, String, String, String, String, String, bool)>,
}

/// `GET /posts`: every post with its current job description and number of holders.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let jds = match state.app.job_descriptions(&ctx.caller).await {
        Ok(j) => j,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let mut rows = Vec::new();
    for post in Post::ALL {
        let latest = jds.iter().filter(|j| j.post == post).max_by_key(|j| j.version);
        let holders = match state
            .app
            .list_users(
                &ctx.caller,
                UserFilter { post: Some(post), ..UserFilter::default() },
                PageRequest { page: 1, per_page: 1 },
            )
            .await
        {
            Ok(p) => p.total.to_string(),
            Err(_) => "—".to_owned(),
        };
        rows.push((
            post.code().to_owned(),
            i.t(&format!("post-{}", post.code())),
            latest.map_or_else(|| i.t("jd-missing"), |j| j.title.clone()),
            latest.map_or_else(|| "—".to_owned(), |j| format!("v{}", j.version)),
            latest.map_or_else(|| "—".to_owned(), |j| j.created_at.display_cst()),
            holders,
            post.is_admin(),
        ));
    }
    render(&ListPage { c: Chrome::new(&ctx, "nav-posts", "/posts"), rows })
}

/// One version, for display.
pub struct VersionView {
    version: i64,
    title: String,
    content: String,
    change_note: String,
    created_by: String,
    created: String,
}

#[derive(Template)]
#[template(path = "post_show.html")]
struct ShowPage {
    c: Chrome,
    post: String,
    versions: Vec<VersionView>,
    can_edit: bool,
}

/// `GET /posts/{post}`: all versions, newest first.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(post): IdPath<Post>,
    Query(flash): Query<Flash>,
) -> Response {
    let jds = match state.app.job_descriptions(&ctx.caller).await {
        Ok(j) => j,
        Err(e) => return ctx.err(e).into_response(),
    };
    let versions = jds
        .into_iter()
        .filter(|j| j.post == post)
        .map(|j| VersionView {
            version: j.version,
            created: j.created_at.display_cst(),
            title: j.title,
            content: j.content,
            change_note: j.change_note,
            created_by: j.created_by,
        })
        .collect();
    let can_edit = ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::JobDescriptionEdit));
    let c = Chrome::new(&ctx, "nav-posts", "/posts")
        .under("nav-posts", "/posts")
        .titled(ctx.i.t(&format!("post-{}", post.code())))
        .flash(flash.ok.as_deref());
    render(&ShowPage { c, post: post.code().to_owned(), versions, can_edit })
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct FormPage {
    c: Chrome,
    f: FormState,
    post: String,
}

/// `GET /posts/{post}/edit`: the form starts from the current version.
pub async fn edit(State(state): State<AppState>, ctx: Ctx, IdPath(post): IdPath<Post>) -> Response {
    let latest = state
        .app
        .job_descriptions(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|j| j.post == post)
        .max_by_key(|j| j.version);
    let f = latest.map_or_else(FormState::new, |j| FormState::new().with("title", j.title).with("content", j.content));
    let title = format!("{} · {}", ctx.i.t(&format!("post-{}", post.code())), ctx.i.t("jd-new-version"));
    let c = Chrome::new(&ctx, "nav-posts", "/posts").under("nav-posts", "/posts").titled(title);
    render(&FormPage { c, f, post: post.code().to_owned() })
}

/// `POST /posts/{post}`.
pub async fn publish(State(state): State<AppState>, ctx: Ctx, IdPath(post): IdPath<Post>, form: FormData) -> Response {
    match state
        .app
        .publish_job_description(
            &ctx.caller,
            post.code(),
            form.get("title"),
            form.get("content"),
            form.get("change_note"),
        )
        .await
    {
        Ok(j) => see_other(&format!("/posts/{}?ok=published", j.post.code())),
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new()
                .with("title", form.get("title"))
                .with("content", form.get("content"))
                .with("change_note", form.get("change_note"))
                .errors(&ctx.i, &errors);
            let c = Chrome::new(&ctx, "jd-new-version", "/posts").under("nav-posts", "/posts");
            render_status(StatusCode::BAD_REQUEST, &FormPage { c, f, post: post.code().to_owned() })
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
