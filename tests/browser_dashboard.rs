//! The dashboard in headless Chromium, end to end against `gridbot serve`
//! on embedded defaults (paper exchange, simulated market, SQLite in a
//! temporary folder): log in, open the AI tab, start a bot from a
//! recommendation, watch its PnL move with the market, stop it, and check
//! the balance bar at each step. Screenshots go to `target/browser/`.
//!
//! Opt-in: runs when `GRIDBOT_BROWSER=1` (CI sets it after installing
//! Debian's `chromium` and `chromium-driver`; paths overridable with
//! `CHROMIUM` and `CHROMEDRIVER`). When enabled, missing browsers fail it.

#[path = "browser/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use webdriver::{chromium_args, Driver, Session};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `gridbot serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server() -> Server {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = std::fs::File::create(data.path().join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data.path())
        .env("GRIDBOT_SIM_SPEED", "60")
        .env_remove("GRIDBOT_SECRET_KEY")
        .env_remove("GRIDBOT_DB")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        data,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{}/healthz", server.base)).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "gridbot serve did not come up: {}",
            serve_log(&server)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server
}

fn serve_log(s: &Server) -> String {
    std::fs::read_to_string(s.data.path().join("serve.log")).unwrap_or_default()
}

fn demo_password(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("demo-login.txt")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_owned()
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A number shown with thousands separators, e.g. `10,000.00`.
fn shown(s: &str) -> f64 {
    s.replace([',', '+'], "").trim().parse().unwrap_or(f64::NAN)
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_starts_a_recommended_bot_watches_its_pnl_and_stops_it() {
    if std::env::var("GRIDBOT_BROWSER").as_deref() != Ok("1") {
        eprintln!("browser test not run: set GRIDBOT_BROWSER=1 (needs chromium and chromium-driver)");
        return;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        Path::new(&chromium).exists() && Path::new(&chromedriver).exists(),
        "install chromium and chromium-driver (apt-get install -y chromium chromium-driver), \
         or unset GRIDBOT_BROWSER"
    );
    let server = start_server().await;
    let password = demo_password(server.data.path());
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, free_port()).await.unwrap();
    let b = Session::new(&driver, &chromium, chromium_args(profile.path()))
        .await
        .unwrap();
    let shots = shots_dir();
    let long = Duration::from_secs(30);

    // Log in.
    b.goto(&server.base).await.unwrap();
    let user = match b.wait_for("#login-username", long).await {
        Ok(e) => e,
        Err(e) => {
            b.screenshot(&shots.join("00-no-login.png")).await.ok();
            let page = b
                .exec("return document.location.href + ' ' + document.title", vec![])
                .await;
            panic!("{e}; page: {page:?}");
        }
    };
    b.type_text(&user, "demo").await.unwrap();
    let pw = b.find("#login-password").await.unwrap();
    b.type_text(&pw, &password).await.unwrap();
    b.screenshot(&shots.join("01-login.png")).await.unwrap();
    b.click(&b.find("#login-submit").await.unwrap()).await.unwrap();
    b.wait_for("#balance-bar", long).await.unwrap();
    wait_until("balance total shown", long, || async {
        shown(&b.text_of("#balance-total").await.unwrap_or_default()) == 10_000.0
    })
    .await;
    assert_eq!(shown(&b.text_of("#balance-used").await.unwrap()), 0.0);
    assert_eq!(b.text_of("#balance-active-bots").await.unwrap(), "0");
    b.screenshot(&shots.join("02-dashboard.png")).await.unwrap();

    // AI tab: analyse BTCUSDT, three recommendation cards.
    b.click(&b.find("#tab-ai").await.unwrap()).await.unwrap();
    b.wait_for("#ai-symbol option", long).await.unwrap();
    b.exec(
        "const s = document.getElementById('ai-symbol'); s.value = 'BTCUSDT'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    b.click(&b.find("#ai-analyze").await.unwrap()).await.unwrap();
    // The sweep backtests hundreds of grids: wait for cards or an answer.
    let loading = b.text_of("#ai-status").await.unwrap_or_default();
    wait_until("the analysis answers", Duration::from_secs(300), || async {
        !b.find_all("[data-testid=rec-card]")
            .await
            .unwrap_or_default()
            .is_empty()
            || b.text_of("#ai-status").await.map(|t| t != loading).unwrap_or(false)
    })
    .await;
    if let Err(e) = b.wait_for("[data-testid=rec-card]", Duration::from_secs(5)).await {
        let status = b.text_of("#ai-status").await;
        b.screenshot(&shots.join("03-ai-failed.png")).await.ok();
        panic!("{e}; AI status: {status:?}; server log:\n{}", serve_log(&server));
    }
    let cards = b.find_all("[data-testid=rec-card]").await.unwrap();
    assert!(!cards.is_empty() && cards.len() <= 3, "{} cards", cards.len());
    b.screenshot(&shots.join("03-ai-recommendations.png")).await.unwrap();

    // Use the first recommendation: the start dialog checks the balance first.
    b.click(&b.find("[data-testid=rec-use]").await.unwrap()).await.unwrap();
    let amount = b.wait_for("#start-amount", long).await.unwrap();
    b.clear(&amount).await.unwrap();
    b.type_text(&amount, "1000").await.unwrap();
    wait_until("balance check allows 1000", long, || async {
        let allowed = b
            .exec("return document.getElementById('start-check').dataset.allowed", vec![])
            .await
            .ok();
        allowed == Some(serde_json::json!("true"))
            && b.text_of("#start-check")
                .await
                .unwrap_or_default()
                .starts_with("1,000.00 USDT")
    })
    .await;
    b.screenshot(&shots.join("04-start-dialog.png")).await.unwrap();
    b.click(&b.find("#start-confirm").await.unwrap()).await.unwrap();
    b.wait_for("[data-testid=bot-card]", long).await.unwrap();
    wait_until("balance bar shows 1000 used", long, || async {
        shown(&b.text_of("#balance-used").await.unwrap_or_default()) == 1000.0
    })
    .await;
    assert_eq!(b.text_of("#balance-active-bots").await.unwrap(), "1");
    // available = total − used (the total moves with fees and PnL once trading)
    wait_until("available is total minus used", long, || async {
        let total = shown(&b.text_of("#balance-total").await.unwrap_or_default());
        let used = shown(&b.text_of("#balance-used").await.unwrap_or_default());
        let available = shown(&b.text_of("#balance-available").await.unwrap_or_default());
        (total - used - available).abs() < 0.006 && used == 1000.0 && total > 9_000.0
    })
    .await;
    b.screenshot(&shots.join("05-bot-started.png")).await.unwrap();

    // The simulated market runs: the bot's PnL changes.
    let pnl = || async {
        b.exec(
            "const e = document.querySelector('[data-testid=bot-pnl]'); return e ? e.dataset.value : null",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
    };
    let first = pnl().await;
    wait_until("bot PnL changes", Duration::from_secs(180), || async {
        pnl().await != first
    })
    .await;
    b.screenshot(&shots.join("06-pnl-moving.png")).await.unwrap();

    // Stop it, with confirmation; the allocation is freed.
    b.click(&b.find("[data-testid=bot-stop]").await.unwrap()).await.unwrap();
    b.click(&b.wait_for("#confirm-yes", long).await.unwrap()).await.unwrap();
    wait_until("balance bar shows nothing used", long, || async {
        shown(&b.text_of("#balance-used").await.unwrap_or_default()) == 0.0
    })
    .await;
    assert_eq!(b.text_of("#balance-active-bots").await.unwrap(), "0");
    b.screenshot(&shots.join("07-bot-stopped.png")).await.unwrap();

    // Korean, switchable.
    b.click(&b.find("#lang-toggle").await.unwrap()).await.unwrap();
    assert_eq!(b.text_of("#bots-title").await.unwrap(), "내 봇");
    b.screenshot(&shots.join("08-korean.png")).await.unwrap();
    b.quit().await;
}
