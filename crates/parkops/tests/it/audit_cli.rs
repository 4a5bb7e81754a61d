//! `parkops user …` and `parkops audit …` on every engine.

use crate::helpers::{GOOD_PASSWORD, Installation, file_in, parkops, run};

#[tokio::test]
async fn a_weak_password_is_refused_in_chinese_and_changes_nothing() {
    for inst in Installation::all().await {
        let out = inst.run(
            &["user", "create", "--username", "alice", "--post", "system_admin", "--password-stdin"],
            Some("weak\n"),
        );
        assert_eq!(out.code, 1, "{:?}: {out:?}", inst.engine());
        assert!(out.stderr.contains("缺少大写字母") && out.stderr.contains("[missing_upper]"), "{out:?}");
        assert!(out.stderr.contains("长度不足，至少 8 个字符"), "{out:?}");
        let verify = inst.run(&["audit", "verify"], None);
        assert_eq!(verify.code, 0, "{verify:?}");
        assert!(verify.stdout.contains("records checked: 0"), "no park, no user, no record: {verify:?}");
    }
}

#[tokio::test]
async fn created_user_leaves_a_chain_that_verifies_until_a_row_is_edited() {
    for inst in Installation::all().await {
        let engine = inst.engine();
        let create = [
            "user",
            "create",
            "--username",
            "alice",
            "--post",
            "system_admin",
            "--display-name",
            "张三",
            "--password-stdin",
        ];
        let out = inst.run(&create, Some(&format!("{GOOD_PASSWORD}\n")));
        assert_eq!(out.code, 0, "{engine:?}: {out:?}");
        assert!(out.stdout.contains("已创建用户 alice"), "{out:?}");

        // park.create, org.create, user.create
        let verify = inst.run(&["audit", "verify"], None);
        assert_eq!(verify.code, 0, "{engine:?}: {verify:?}");
        assert!(verify.stdout.contains("records checked: 3"), "{verify:?}");
        assert!(verify.stdout.contains("MB/s"), "{verify:?}");

        // A checkpoint, exported to a file kept elsewhere, verifies too.
        let cp = inst.run(&["audit", "checkpoint"], None);
        assert_eq!(cp.code, 0, "{cp:?}");
        assert!(cp.stdout.contains("checkpoint signed at seq 4 for origin PARK"), "{cp:?}");
        let file = file_in(&inst.data_dir, "checkpoints.txt");
        let export = inst.run(&["audit", "export-checkpoints", "--out", file.to_str().expect("utf-8")], None);
        assert_eq!(export.code, 0, "{export:?}");
        let verify = inst.run(&["audit", "verify", "--checkpoints", file.to_str().expect("utf-8")], None);
        assert_eq!(verify.code, 0, "{engine:?}: {verify:?}");
        assert!(verify.stdout.contains("checkpoints checked: 2 (1 from file)"), "{verify:?}");

        // Someone with write access to the database edits a record.
        inst.drop_audit_triggers().await;
        inst.exec("UPDATE audit_event SET actor_name = 'mallory' WHERE seq = 2").await;
        let verify = inst.run(&["audit", "verify"], None);
        assert_eq!(verify.code, 1, "{engine:?}: {verify:?}");
        assert!(verify.stdout.contains("first bad seq: 2"), "{verify:?}");
        assert!(verify.stderr.contains("seq 2"), "{verify:?}");
    }
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_reported_as_a_break() {
    let inst = Installation::sqlite();
    let engineer = ["user", "create", "--username", "alice", "--post", "supplier_engineer", "--password-stdin"];
    let out = inst.run(&engineer, Some(GOOD_PASSWORD));
    assert_eq!(out.code, 1, "a supplier engineer does not belong to the using unit: {out:?}");
    assert!(out.stderr.contains("[posts-org]"), "{out:?}");
    let two_admins = [
        "user",
        "create",
        "--username",
        "alice",
        "--post",
        "system_admin",
        "--post",
        "audit_admin",
        "--password-stdin",
    ];
    let out = inst.run(&two_admins, Some(GOOD_PASSWORD));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("三员分立"), "{out:?}");
    let verify = inst.run(&["audit", "verify"], None);
    assert!(verify.stdout.contains("records checked: 0"), "refused input wrote nothing: {verify:?}");
    let out = inst.run(
        &["user", "create", "--username", "alice", "--post", "system_admin", "--password-stdin"],
        Some(GOOD_PASSWORD),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(inst.run(&["audit", "checkpoint"], None).code, 0);
    let other = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";
    let verify = inst.run(&["audit", "verify", "--public-key", other], None);
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(verify.stdout.contains("invalid signature"), "{verify:?}");
}

#[tokio::test]
async fn set_password_refuses_reuse_and_accepts_a_new_one() {
    let inst = Installation::sqlite();
    let create = ["user", "create", "--username", "bob", "--post", "security_admin", "--password-stdin"];
    assert_eq!(inst.run(&create, Some(GOOD_PASSWORD)).code, 0);
    let again = inst.run(&create, Some(GOOD_PASSWORD));
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("用户名已被占用"), "{again:?}");
    let set = ["user", "set-password", "--username", "bob", "--password-stdin"];
    let reused = inst.run(&set, Some(GOOD_PASSWORD));
    assert_eq!(reused.code, 1, "{reused:?}");
    assert!(reused.stderr.contains("[reused]"), "{reused:?}");
    let ok = inst.run(&set, Some("Another#Pass2026\r\n"));
    assert_eq!(ok.code, 0, "{ok:?}");
    let missing = inst.run(&["user", "set-password", "--username", "nobody", "--password-stdin"], Some(GOOD_PASSWORD));
    assert_eq!(missing.code, 1, "{missing:?}");
}

#[test]
fn a_password_is_never_taken_from_the_command_line() {
    let inst = Installation::sqlite();
    let out = inst.run(&["user", "create", "--username", "alice", "--post", "system_admin"], Some(GOOD_PASSWORD));
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("--password-stdin"), "{out:?}");
}

#[test]
fn verifying_without_a_database_or_key_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("parkops-nothing-{}", std::process::id()));
    let mut cmd = parkops();
    cmd.args(["audit", "verify", "--data-dir"]).arg(&dir);
    let out = run(cmd, None);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!dir.join("audit-signing.key").exists(), "verify creates nothing");
    let mut cmd = parkops();
    cmd.args(["audit", "verify", "--no-such-flag"]);
    assert_eq!(run(cmd, None).code, 2);
}

#[test]
fn the_demo_loads_once() {
    let inst = Installation::sqlite();
    let first = inst.run(&["demo"], None);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("已载入演示园区"), "{first:?}");
    let second = inst.run(&["demo"], None);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("演示园区已存在"), "{second:?}");
    // Without --org, an account joins the park's using unit; --org picks another by code.
    let out = inst.run(
        &["user", "create", "--username", "carol", "--post", "technician", "--password-stdin"],
        Some(GOOD_PASSWORD),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("江滨园区管委会"), "{out:?}");
    let dave = ["user", "create", "--username", "dave", "--post", "technician", "--org", "jb-zw", "--password-stdin"];
    let out = inst.run(&dave, Some(GOOD_PASSWORD));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("江滨智维科技有限公司"), "{out:?}");
    let erin = ["user", "create", "--username", "erin", "--post", "technician", "--org", "NOPE", "--password-stdin"];
    let out = inst.run(&erin, Some(GOOD_PASSWORD));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("没有代码为“NOPE”的组织"), "{out:?}");
}
