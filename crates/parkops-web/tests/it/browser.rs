//! A real browser: headless Chromium (Debian's `chromium` and `chromedriver`) logs in, in
//! Chinese, and sees the dashboard, on a desktop and a phone-sized window. With
//! `PARKOPS_SCREENSHOTS=<dir>` it also saves a screenshot of every page for people to look at.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver and waits for its "started successfully" line (no polling, no sleeps).
pub(crate) fn start_driver() -> Option<(Driver, u16)> {
    let path = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(path) = path else {
        assert!(
            !parkops_testkit::is_ci(),
            "CI=true but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!("NOTE: chromedriver not installed; the browser test did not run");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut child = Command::new(path)
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let out = child.stdout.take().expect("stdout");
    let ready = BufReader::new(out).lines().take(20).map_while(Result::ok).any(|l| l.contains("started successfully"));
    assert!(ready, "chromedriver did not start");
    Some((Driver(child), port))
}

pub(crate) async fn browser(driver_port: u16) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN", "--window-size=1366,900"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("webdriver session")
}

/// A demo park served on a real listener (the browser talks HTTP to it), and its base URL.
pub(crate) async fn serve() -> (TestApp, String) {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = t.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (t, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_in_chinese_and_sees_the_dashboard() {
    let Some((_driver, driver_port)) = start_driver() else { return };
    let (t, base) = serve().await;
    // A ticket of the demo's live queue, for the ticket page's screenshot.
    let open = parkops_app::ports::desk::TicketFilter {
        states: vec!["waiting".into(), "in_progress".into()],
        ..parkops_app::ports::desk::TicketFilter::default()
    };
    let ticket = t.app.store.tickets_all(&open, 1).await.expect("tickets").first().map(|x| x.id.to_string());
    let ticket_page = format!("/desk/tickets/{}", ticket.unwrap_or_default());
    let b = browser(driver_port).await;
    b.goto(&format!("{base}/login")).await.expect("login page");
    assert_eq!(b.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text"), "用户登录");
    b.find(Locator::Css("input[name=username]")).await.expect("username").send_keys("jb.manager").await.expect("type");
    b.find(Locator::Css("input[name=password]")).await.expect("password").send_keys(PASSWORD).await.expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("click");
    let found = b.wait().for_element(Locator::Css("main h1")).await;
    let Ok(h1) = found else {
        panic!("no dashboard after login at {:?}: {}", b.current_url().await, b.source().await.unwrap_or_default());
    };
    let h1 = h1.text().await.expect("text");
    assert_eq!(h1, "工作台");
    let side = b.find(Locator::Css(".sidebar")).await.expect("side nav").text().await.expect("text");
    assert!(side.contains("组织机构") && side.contains("岗位与职责"), "{side}");
    let shots = std::env::var("PARKOPS_SCREENSHOTS").ok();
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).expect("screenshot dir");
        let channel = seed_channels(&t).await;
        let channel_page = format!("/desk/channels/{channel}");
        for (name, path) in [
            ("dashboard", "/dashboard"),
            ("orgs", "/orgs"),
            ("org", "/orgs?org_type=product_vendor"),
            ("users", "/users"),
            ("posts", "/posts"),
            ("post", "/posts/technician"),
            ("me", "/me"),
            ("apidocs", "/api/docs"),
            ("user-new", "/users/new"),
            ("desk", "/desk"),
            ("ticket", ticket_page.as_str()),
            ("desk-dashboard", "/desk/dashboard"),
            ("desk-new", "/desk/new"),
            ("desk-settings", "/desk/settings"),
            ("desk-channels", "/desk/channels"),
            ("desk-deliveries", "/desk/deliveries"),
            ("inbox", "/inbox"),
        ] {
            b.goto(&format!("{base}{path}")).await.expect("page");
            std::fs::write(format!("{dir}/{name}.png"), b.screenshot().await.expect("shot")).expect("write");
        }
        // The channel form is long: the whole of it in a tall window.
        b.set_window_size(1366, 2200).await.expect("tall");
        for (name, path) in [("desk-channel-new", "/desk/channels/new"), ("desk-channel-edit", channel_page.as_str())] {
            b.goto(&format!("{base}{path}")).await.expect("page");
            std::fs::write(format!("{dir}/{name}.png"), b.screenshot().await.expect("shot")).expect("write");
        }
        // A refused channel: the form comes back with the reason beside the field.
        b.goto(&format!("{base}/desk/channels/new")).await.expect("form");
        b.find(Locator::Css("select[name=kind]")).await.expect("kind").select_by_value("dingtalk").await.expect("pick");
        b.find(Locator::Css("input[name=name]")).await.expect("name").send_keys("运维值班群").await.expect("type");
        let endpoint = b.find(Locator::Css("input[name=endpoint]")).await.expect("endpoint");
        endpoint.send_keys("oapi.dingtalk.com/robot/send").await.expect("type");
        b.find(Locator::Css(".channel-form button.primary")).await.expect("save").click().await.expect("click");
        b.wait().for_element(Locator::Css(".alert.err")).await.expect("refused");
        std::fs::write(format!("{dir}/desk-channel-error.png"), b.screenshot().await.expect("shot")).expect("write");
        b.set_window_size(1366, 900).await.expect("back");
    }
    // On a phone the navigation folds behind the menu button and the page still reads.
    b.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{base}/dashboard")).await.expect("dashboard");
    let menu = b.find(Locator::Css(".menu-button")).await.expect("menu button");
    assert!(menu.is_displayed().await.expect("visible"), "the menu button shows on a phone");
    if let Some(dir) = &shots {
        std::fs::write(format!("{dir}/phone-dashboard.png"), b.screenshot().await.expect("shot")).expect("write");
        b.goto(&format!("{base}/users")).await.expect("users");
        std::fs::write(format!("{dir}/phone-users.png"), b.screenshot().await.expect("shot")).expect("write");
        b.goto(&format!("{base}/desk")).await.expect("desk");
        std::fs::write(format!("{dir}/phone-desk.png"), b.screenshot().await.expect("shot")).expect("write");
        b.goto(&format!("{base}{ticket_page}")).await.expect("ticket");
        std::fs::write(format!("{dir}/phone-ticket.png"), b.screenshot().await.expect("shot")).expect("write");
        b.goto(&format!("{base}/desk/channels")).await.expect("channels");
        std::fs::write(format!("{dir}/phone-channels.png"), b.screenshot().await.expect("shot")).expect("write");
        b.goto(&format!("{base}/desk/channels/new")).await.expect("channel form");
        std::fs::write(format!("{dir}/phone-channel-new.png"), b.screenshot().await.expect("shot")).expect("write");
    }
    b.close().await.expect("close");
}

/// Not a check but a tool for people: run with
/// `PARKOPS_SCREENSHOTS=dir cargo test -p parkops-web --test it -- --ignored screenshots`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes screenshots for people to look at; needs PARKOPS_SCREENSHOTS=dir"]
async fn screenshots_of_the_login_and_administration_pages() {
    let dir = std::env::var("PARKOPS_SCREENSHOTS").expect("PARKOPS_SCREENSHOTS=dir names where to write");
    let Some((_driver, driver_port)) = start_driver() else { return };
    let (t, base) = serve().await;
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let b = browser(driver_port).await;
    b.goto(&format!("{base}/track")).await.expect("track");
    std::fs::write(format!("{dir}/track.png"), b.screenshot().await.expect("shot")).expect("write");
    let open = parkops_app::ports::desk::TicketFilter { states: vec!["waiting".into()], ..Default::default() };
    if let Some(tk) = t.app.store.tickets_all(&open, 1).await.expect("tickets").first() {
        b.goto(&format!("{base}/track?number={}&phone={}", tk.number, tk.reporter_phone)).await.expect("track");
        std::fs::write(format!("{dir}/track-found.png"), b.screenshot().await.expect("shot")).expect("write");
    }
    b.goto(&format!("{base}/login")).await.expect("login");
    std::fs::write(format!("{dir}/login.png"), b.screenshot().await.expect("shot")).expect("write");
    b.find(Locator::Css("input[name=username]")).await.expect("u").send_keys("jb.sysadmin").await.expect("type");
    b.find(Locator::Css("input[name=password]")).await.expect("p").send_keys("wrong").await.expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("b").click().await.expect("click");
    std::fs::write(format!("{dir}/login-error.png"), b.screenshot().await.expect("shot")).expect("write");
    b.find(Locator::Css("input[name=password]")).await.expect("p").send_keys(PASSWORD).await.expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("b").click().await.expect("click");
    b.wait().for_element(Locator::Css("#totp-secret")).await.expect("enrol page");
    std::fs::write(format!("{dir}/totp-enrol.png"), b.screenshot().await.expect("shot")).expect("write");
    b.close().await.expect("close");
}

/// The asset register's pages (issue #4), on a desktop and a phone: run with
/// `PARKOPS_SCREENSHOTS=dir cargo test -p parkops-web --test it -- --ignored screenshots`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes screenshots for people to look at; needs PARKOPS_SCREENSHOTS=dir"]
async fn screenshots_of_the_asset_pages() {
    let dir = std::env::var("PARKOPS_SCREENSHOTS").expect("PARKOPS_SCREENSHOTS=dir names where to write");
    let Some((_driver, driver_port)) = start_driver() else { return };
    let (t, base) = serve().await;
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let manager = t.caller("jb.manager").await;
    let register = t.app.assets();
    let code_id = |code: &'static str| {
        let register = t.app.assets();
        let manager = manager.clone();
        async move {
            let q = parkops_app::asset::AssetQuery { text: code.into(), ..Default::default() };
            let page = parkops_app::ports::PageRequest { page: 1, per_page: 20 };
            let list = register.list(&manager, &q, page, false).await.expect("list");
            list.page.items.into_iter().find(|a| a.code == code).map(|a| a.id.to_string()).unwrap_or_default()
        }
    };
    let gateway = code_id("JB-GW-E01").await;
    let offline = code_id("JB-GW-E03").await;
    let parts = register.spare_parts(&manager).await.expect("parts");
    let part = match parts.first() {
        Some(p) => p.id.to_string(),
        None => {
            let input = parkops_app::asset::SparePartInput {
                code: "SP-GD-HEAD".into(),
                name: "催化燃烧传感头".into(),
                class: "gas_detector".into(),
                unit: "个".into(),
                stock: 3,
                min_stock: 5,
            };
            register.create_spare_part(&manager, input).await.expect("part").id.to_string()
        }
    };
    let b = browser(driver_port).await;
    b.goto(&format!("{base}/login")).await.expect("login page");
    b.find(Locator::Css("input[name=username]")).await.expect("username").send_keys("jb.manager").await.expect("type");
    b.find(Locator::Css("input[name=password]")).await.expect("password").send_keys(PASSWORD).await.expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("click");
    b.wait().for_element(Locator::Css("main h1")).await.expect("dashboard");
    let pages = [
        ("assets", "/assets".to_owned()),
        ("assets-filtered", "/assets?family=safety_instrument&state=faulty".to_owned()),
        ("asset-gateway", format!("/assets/{gateway}")),
        ("asset-offline-gateway", format!("/assets/{offline}")),
        ("asset-retire", format!("/assets/{gateway}/lifecycle?event=retire")),
        ("asset-edit", format!("/assets/{gateway}/edit")),
        ("asset-new", "/assets/new".to_owned()),
        ("asset-new-detector", "/assets/new?class=gas_detector".to_owned()),
        ("asset-classes", "/assets/classes?class=gas_detector".to_owned()),
        ("asset-locations", "/assets/locations".to_owned()),
        ("asset-parts", "/assets/spare-parts".to_owned()),
        ("asset-part", format!("/assets/spare-parts/{part}")),
        ("asset-import", "/assets/import".to_owned()),
    ];
    for (width, height, prefix) in [(1366, 900, ""), (390, 844, "phone-")] {
        b.set_window_size(width, height).await.expect("size");
        for (name, path) in &pages {
            b.goto(&format!("{base}{path}")).await.expect("page");
            std::fs::write(format!("{dir}/{prefix}{name}.png"), b.screenshot().await.expect("shot")).expect("write");
        }
    }
    // The whole CI page in a tall window.
    b.set_window_size(1366, 2600).await.expect("tall");
    b.goto(&format!("{base}/assets/{gateway}")).await.expect("page");
    std::fs::write(format!("{dir}/asset-gateway-full.png"), b.screenshot().await.expect("shot")).expect("write");
    // A refused import: the report as a table.
    b.set_window_size(1366, 900).await.expect("size");
    let csv = "\u{feff}编码,名称,类别,gas_kind\r\nSHOT-1,探测器,气体探测器,毒气\r\nSHOT-2,,不存在的类别,\r\n";
    let file = std::env::temp_dir().join(format!("parkops-shot-{}.csv", std::process::id()));
    std::fs::write(&file, csv).expect("csv");
    b.goto(&format!("{base}/assets/import")).await.expect("import");
    b.find(Locator::Css("input[type=file]"))
        .await
        .expect("file")
        .send_keys(&file.to_string_lossy())
        .await
        .expect("pick");
    b.find(Locator::Css("form[enctype] button.primary")).await.expect("button").click().await.expect("click");
    b.wait().for_element(Locator::Css("table.report")).await.expect("report");
    std::fs::write(format!("{dir}/asset-import-report.png"), b.screenshot().await.expect("shot")).expect("write");
    // A long import: its progress while it runs, then the counts.
    let mut big = String::from("\u{feff}编码,名称,类别,状态,摄像机类型\r\n");
    for n in 0..20_000 {
        big.push_str(&format!("SHOT-CAM-{n:05},演示摄像机 {n},摄像机,运行,枪机\r\n"));
    }
    std::fs::write(&file, big).expect("csv");
    b.goto(&format!("{base}/assets/import")).await.expect("import");
    b.find(Locator::Css("input[type=file]"))
        .await
        .expect("file")
        .send_keys(&file.to_string_lossy())
        .await
        .expect("pick");
    b.find(Locator::Css("form[enctype] button.primary")).await.expect("button").click().await.expect("click");
    b.wait().for_element(Locator::Css(".progress-count, .import-counts")).await.expect("job page");
    std::fs::write(format!("{dir}/asset-import-progress.png"), b.screenshot().await.expect("shot")).expect("write");
    b.wait().for_element(Locator::Css(".import-counts")).await.expect("counts");
    std::fs::write(format!("{dir}/asset-import-done.png"), b.screenshot().await.expect("shot")).expect("write");
    let _ = std::fs::remove_file(&file);
    b.close().await.expect("close");
}

/// Answers as the platforms might: Feishu throttles, the webhook refuses its signature.
struct Platforms;

#[async_trait::async_trait]
impl parkops_app::notify::Notifier for Platforms {
    async fn send(
        &self,
        channel: &parkops_app::ports::notify::ChannelRecord,
        _: &parkops_domain::notify::Message,
        _: parkops_domain::time::Timestamp,
    ) -> Result<(), parkops_app::notify::SendFailure> {
        use parkops_app::notify::SendFailure;
        match channel.kind.as_str() {
            "feishu" => Err(SendFailure::Retryable("platform throttled the robot (code 9499)".into())),
            "webhook" => Err(SendFailure::Permanent("http status 401".into())),
            _ => Ok(()),
        }
    }
}

/// The channels of a park that uses each kind, with a few deliveries; returns the first's id.
async fn seed_channels(t: &TestApp) -> String {
    use parkops_app::notify::ChannelInput;
    let manager = t.caller("jb.manager").await;
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let channels = [
        ChannelInput {
            kind: "dingtalk".into(),
            name: "运维值班群".into(),
            endpoint: "https://oapi.dingtalk.com/robot/send?access_token=0a1b2c3d4e5f".into(),
            secret: "SEC0a1b2c3d".into(),
            levels: v(&["fatal", "severe"]),
            events: v(&["ticket_opened", "ticket_escalated", "sla_warning", "sla_breach"]),
            enabled: true,
            ..ChannelInput::default()
        },
        ChannelInput {
            kind: "feishu".into(),
            name: "安全生产应急群".into(),
            endpoint: "https://open.feishu.cn/open-apis/bot/v2/hook/7d0c-4e2a-9f1b".into(),
            secret: "feishu-sign".into(),
            domains: v(&["safety_production", "emergency"]),
            enabled: true,
            ..ChannelInput::default()
        },
        ChannelInput {
            kind: "email".into(),
            name: "运维主管邮件".into(),
            endpoint: "smtp.jbpark.example:465".into(),
            secret: "mail-password".into(),
            recipients: "ops-lead@jbpark.example, duty@jbpark.example".into(),
            smtp_from: "parkops@jbpark.example".into(),
            smtp_username: "parkops".into(),
            smtp_security: "tls".into(),
            events: v(&["ticket_opened", "ticket_resolved"]),
            enabled: true,
            ..ChannelInput::default()
        },
        ChannelInput {
            kind: "webhook".into(),
            name: "园区统一告警平台".into(),
            endpoint: "https://alarm.jbpark.example/api/parkops".into(),
            secret: "hook-key".into(),
            per_minute: "120".into(),
            enabled: true,
            ..ChannelInput::default()
        },
        ChannelInput {
            kind: "sms".into(),
            name: "值班手机短信".into(),
            endpoint: "https://sms.jbpark.example/send".into(),
            secret: "sms-token".into(),
            recipients: "13800000001\n13800000002".into(),
            levels: v(&["fatal"]),
            enabled: false,
            ..ChannelInput::default()
        },
    ];
    let mut ids = Vec::new();
    for c in channels {
        ids.push(t.app.save_channel(&manager, None, c).await.expect("channel").id);
    }
    for id in &ids[..4] {
        t.app.test_channel(&manager, *id).await.expect("test");
    }
    t.app.deliver_notifications(&Platforms).await.expect("deliver");
    t.advance(chrono::Duration::seconds(20));
    for _ in 0..4 {
        t.app.test_channel(&manager, ids[0]).await.expect("test");
    }
    t.app.deliver_notifications(&Platforms).await.expect("deliver");
    ids[0].to_string()
}
