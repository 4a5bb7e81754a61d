//! `parkops asset import | export` on every engine: a file with one bad row prints the report
//! (row, column, message), exits 1 and writes nothing; the fixed file imports with progress on
//! stderr; importing it again changes nothing; an export imports back unchanged.

use crate::helpers::{Installation, file_in};

/// Three cameras; with `bad`, row 3 names a camera type that does not exist.
fn cameras(bad: bool) -> String {
    let mut s = String::from("\u{feff}编码,名称,类别,摄像机类型,含敏感数据\r\n");
    s.push_str("CLI-CAM-01,北门卡口枪机,摄像机,枪机,否\r\n");
    s.push_str(&format!("CLI-CAM-02,南门球机,摄像机,{},否\r\n", if bad { "鱼眼" } else { "球机" }));
    s.push_str("CLI-CAM-03,储罐区热成像,摄像机,热成像,是\r\n");
    s
}

#[tokio::test]
async fn an_import_with_a_bad_row_reports_it_and_writes_nothing_then_imports_once() {
    for inst in Installation::all().await {
        let engine = inst.engine();
        let demo = inst.run(&["demo"], None);
        assert_eq!(demo.code, 0, "{engine:?}: {demo:?}");
        let file = file_in(&inst.data_dir, "cameras.csv");
        let path = file.to_str().expect("utf-8");

        std::fs::write(&file, cameras(true)).expect("write");
        let out = inst.run(&["asset", "import", path, "--as", "jb.tech01"], None);
        assert_eq!(out.code, 1, "{engine:?}: {out:?}");
        assert!(out.stdout.contains("未写入任何数据"), "{out:?}");
        assert!(out.stdout.contains("资产\t3\t摄像机类型\t“摄像机类型”应为以下之一"), "{out:?}");

        std::fs::write(&file, cameras(false)).expect("write");
        let dry = inst.run(&["asset", "import", path, "--as", "jb.tech01", "--dry-run"], None);
        assert_eq!(dry.code, 0, "{dry:?}");
        assert!(dry.stdout.contains("仅校验") && dry.stdout.contains("新增 3"), "{dry:?}");
        let out = inst.run(&["asset", "import", path, "--as", "jb.tech01"], None);
        assert_eq!(out.code, 0, "{engine:?}: {out:?}");
        assert!(out.stdout.contains("导入完成：新增 3，更新 0，无变化 0"), "{out:?}");
        assert!(out.stderr.contains("校验 0/3") && out.stderr.contains("写入"), "progress on stderr: {out:?}");
        let again = inst.run(&["asset", "import", path, "--as", "jb.tech01"], None);
        assert!(again.stdout.contains("新增 0，更新 0，无变化 3"), "{again:?}");

        // The whole register as a workbook imports back unchanged.
        let book = file_in(&inst.data_dir, "register.xlsx");
        let book_path = book.to_str().expect("utf-8");
        let export = inst.run(&["asset", "export", book_path, "--as", "jb.manager", "--class", "camera"], None);
        assert_eq!(export.code, 0, "{export:?}");
        assert!(export.stdout.contains("已导出"), "{export:?}");
        let back = inst.run(&["asset", "import", book_path, "--as", "jb.manager"], None);
        assert_eq!(back.code, 0, "{back:?}");
        assert!(back.stdout.contains("新增 0，更新 0"), "{back:?}");

        // Someone who may only read the register cannot import.
        let op = inst.run(&["asset", "import", path, "--as", "jb.op01"], None);
        assert_eq!(op.code, 1, "{op:?}");
        assert!(op.stderr.contains("无权"), "{op:?}");
        let verify = inst.run(&["audit", "verify"], None);
        assert_eq!(verify.code, 0, "{verify:?}");
    }
}
