//! `gridbot serve` as a user runs it: embedded defaults in a data folder, a
//! demo login, a bot started over HTTP, a clean stop on Ctrl-C (SIGINT) and
//! the bot resuming on the next start with its allocation and the paper
//! account intact.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serve {
    child: Option<Child>,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn serve(data: &Path, port: u16) -> Serve {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("serve.log"))
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .env("GRIDBOT_SIM_SPEED", "30")
        .env_remove("GRIDBOT_SECRET_KEY")
        .env_remove("GRIDBOT_DB")
        .env_remove("GRIDBOT_EXCHANGE")
        .env_remove("GRIDBOT_MARKET")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let s = Serve {
        child: Some(child),
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(r) = http.get(format!("{}/healthz", s.base)).send().await {
            if r.status().is_success() {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "serve did not come up:\n{}",
            std::fs::read_to_string(data.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn login(base: &str, data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("demo-login.txt")).unwrap();
    let password = text.lines().find_map(|l| l.strip_prefix("password: ")).unwrap().trim();
    let v: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "demo", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

async fn get(base: &str, path: &str, token: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Sends SIGINT (what Ctrl-C sends) and waits for a clean exit.
fn interrupt(s: &mut Serve) {
    let mut child = s.child.take().unwrap();
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "serve exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 30 s of Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_cleanly_on_ctrl_c_and_running_bots_resume_on_restart() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut first = serve(data.path(), port).await;
    assert!(
        data.path().join("secret.key").exists(),
        "master key generated in the data folder"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["secret.key", "gridbot.db"] {
            let mode = std::fs::metadata(data.path().join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{f} is readable by its owner only");
        }
    }
    let token = login(&first.base, data.path()).await;

    let bal = get(&first.base, "/api/v1/account/balance", &token).await;
    assert_eq!(bal["total"], "10000", "paper demo balance: {bal}");
    let templates = get(&first.base, "/api/v1/multibot/templates", &token).await;
    let btc = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["symbol"] == "BTCUSDT" && t["is_active"] == true)
        .unwrap()["id"]
        .clone();
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/multibot/bots", first.base))
        .bearer_auth(&token)
        .json(&json!({"template_id": btc, "amount": "500"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let bot: Value = res.json().await.unwrap();
    let id = bot["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = get(&first.base, &format!("/api/v1/multibot/bots/{id}"), &token).await;
    assert_eq!(before["status"], "running", "{before}");

    interrupt(&mut first);
    drop(first);
    assert!(
        !data.path().join("paper-venue.json").exists(),
        "the paper venue lives in the database's journal, not in a file"
    );

    let second = serve(data.path(), port).await;
    let token = login(&second.base, data.path()).await;
    let after = get(&second.base, &format!("/api/v1/multibot/bots/{id}"), &token).await;
    assert_eq!(after["status"], "running", "resumed: {after}");
    assert_eq!(after["allocation"], "500");
    let sum = get(&second.base, "/api/v1/multibot/summary", &token).await;
    assert_eq!(sum["balance"]["used"], "500");
    assert_eq!(sum["running_bots"], 1);
    let log = std::fs::read_to_string(data.path().join("serve.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}
