//! `parkops user create` and `parkops user set-password`: the console operator's account
//! commands. Passwords come from stdin only, never from the command line.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use parkops_app::ports::{OrgFilter, PageRequest};
use parkops_app::user::NewUser;
use parkops_app::{App, AppError, Caller};
use parkops_domain::access::{self, Post};
use parkops_domain::org::{OrgType, Organisation};

use crate::cli::{SetPasswordArgs, UserCreateArgs};
use crate::config::DataSettings;
use crate::{messages, wiring};

/// The first park created by `user create` on an empty database.
const BOOTSTRAP_PARK: (&str, &str, &str) = ("PARK", "本园区", "使用单位");

/// `parkops user create`.
///
/// # Errors
/// When the database cannot be used; refused input is reported on stderr with exit 1.
pub async fn create(args: UserCreateArgs) -> anyhow::Result<ExitCode> {
    let password = read_password(args.password_stdin)?;
    let data = DataSettings::from_args(&args.db)?;
    let db = wiring::open_migrated(&data).await?;
    let app = wiring::app(&db, &data.data_dir, 1000)?;

    // Refuse what can be refused before anything is written, so bad input changes nothing
    // (not even the first park of an empty database).
    let mut posts = BTreeSet::new();
    for code in &args.posts {
        match Post::parse(code.trim()) {
            Ok(post) => {
                posts.insert(post);
            }
            Err(_) => return refused(&[format!("岗位：未知岗位“{code}” [post]")]),
        }
    }
    let rules = app
        .password_violations(None, args.username.trim(), &password)
        .await
        .context("cannot read the security policy")?;
    if !rules.is_empty() {
        let lines: Vec<String> = App::password_errors("password", &rules).iter().map(messages::field_error).collect();
        return refused(&lines);
    }

    let org = match &args.org {
        Some(code) => org_by_code(&app, code).await?,
        None => default_org(&app, &posts).await?,
    };
    let org = match org {
        Ok(org) => org,
        Err(line) => return refused(&[line]),
    };
    let input = NewUser {
        org_id: org.id.to_string(),
        username: args.username.trim().to_owned(),
        display_name: args.display_name.clone().unwrap_or_else(|| args.username.trim().to_owned()),
        posts: posts.iter().map(|p| p.code().to_owned()).collect(),
        password,
        ..NewUser::default()
    };
    match app.create_user_from_console(input).await {
        Ok(user) => {
            let names: Vec<&str> = user.posts.iter().map(|&p| messages::post_name(p)).collect();
            let mut out = std::io::stdout().lock();
            writeln!(out, "已创建用户 {}（{}；岗位：{}）", user.username, org.name, names.join("、"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::Invalid(fields)) => refused(&fields.iter().map(messages::field_error).collect::<Vec<_>>()),
        Err(e) => Err(e).context("cannot create the user"),
    }
}

/// `parkops user set-password`.
///
/// # Errors
/// When the database cannot be used; refused input is reported on stderr with exit 1.
pub async fn set_password(args: SetPasswordArgs) -> anyhow::Result<ExitCode> {
    let password = read_password(args.password_stdin)?;
    let data = DataSettings::from_args(&args.db)?;
    let db = wiring::open_migrated(&data).await?;
    let app = wiring::app(&db, &data.data_dir, 1000)?;
    match app.set_password_from_console(args.username.trim(), &password).await {
        Ok(()) => {
            writeln!(std::io::stdout().lock(), "已设置用户 {} 的密码，其会话已全部结束", args.username.trim())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::NotFound) => refused(&[format!("用户名：没有用户“{}” [not_found]", args.username.trim())]),
        Err(AppError::Invalid(fields)) => refused(&fields.iter().map(messages::field_error).collect::<Vec<_>>()),
        Err(e) => Err(e).context("cannot set the password"),
    }
}

/// The first line of stdin, without its line ending.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if !from_stdin {
        bail!("pass --password-stdin and write the password on stdin (passwords never go on the command line)");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password on stdin");
    }
    Ok(password.to_owned())
}

/// Prints refusals on stderr and exits 1.
fn refused(lines: &[String]) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "未创建或修改任何数据，输入不符合要求：")?;
    for line in lines {
        writeln!(err, "  - {line}")?;
    }
    Ok(ExitCode::FAILURE)
}

/// The organisation with `code` (case-insensitively), in any park.
async fn org_by_code(app: &App, code: &str) -> anyhow::Result<Result<Organisation, String>> {
    let filter = OrgFilter { text: Some(code.trim().to_owned()), ..OrgFilter::default() };
    let page = app
        .store
        .orgs(&filter, PageRequest { page: 1, per_page: 200 })
        .await
        .context("cannot read the organisations")?;
    let mut found: Vec<Organisation> =
        page.items.into_iter().filter(|o| o.code.eq_ignore_ascii_case(code.trim())).collect();
    Ok(match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("组织：没有代码为“{code}”的组织 [org]")),
        _ => Err(format!("组织：多个园区都有代码为“{code}”的组织 [org-ambiguous]")),
    })
}

/// The using unit: of the one park there is, or of a first park created now.
async fn default_org(app: &App, posts: &BTreeSet<Post>) -> anyhow::Result<Result<Organisation, String>> {
    let parks = app.store.parks().await.context("cannot read the parks")?;
    if parks.is_empty() {
        if let Err(e) = access::validate_posts(OrgType::UsingUnit, posts) {
            return Ok(Err(messages::post_error(&e)));
        }
        let (code, name, unit) = BOOTSTRAP_PARK;
        let (park, org) = app
            .bootstrap_park(&Caller::command_line(), code, name, unit)
            .await
            .context("cannot create the first park")?;
        tracing::info!(park = park.code, org = org.code, "empty database: first park and its using unit created");
        return Ok(Ok(org));
    }
    let filter = OrgFilter { org_type: Some(OrgType::UsingUnit.code().to_owned()), ..OrgFilter::default() };
    let mut units = app
        .store
        .orgs(&filter, PageRequest { page: 1, per_page: 200 })
        .await
        .context("cannot read the organisations")?
        .items;
    Ok(if units.len() == 1 {
        Ok(units.remove(0))
    } else {
        let codes: Vec<&str> = units.iter().map(|o| o.code.as_str()).collect();
        Err(format!("组织：请用 --org 指定组织（使用单位有：{}） [org]", codes.join("、")))
    })
}
