//! A small W3C WebDriver client over reqwest, enough to drive headless
//! Chromium through `chromedriver`: sessions, navigation, element lookup,
//! clicks, typing, text, script execution and screenshots.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The W3C element key in element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Launch flags: headless, no sandbox (containers), no GPU, no network
/// chatter, a fresh profile.
pub fn chromium_args(profile_dir: &Path) -> Vec<String> {
    vec![
        "--headless=new".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1280,1000".into(),
        format!("--user-data-dir={}", profile_dir.display()),
    ]
}

/// A running `chromedriver`, killed on drop.
pub struct Driver {
    child: Child,
    /// Base URL of the driver.
    pub url: String,
}

impl Driver {
    /// Starts `chromedriver` on `port` and waits until it answers.
    pub async fn start(binary: &str, port: u16) -> Result<Driver, String> {
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e}"))?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await {
                if r.status().is_success() {
                    return Ok(driver);
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err("chromedriver did not answer within 20 s".into())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Opens a session with Chromium at `chrome_binary`.
    pub async fn new(driver: &Driver, chrome_binary: &str, args: Vec<String>) -> Result<Session, String> {
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome_binary, "args": args}
        }}});
        let v: Value = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let id = v["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {v}"))?;
        Ok(Session {
            http,
            base: format!("{}/session/{id}", driver.url),
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let post = method == reqwest::Method::POST;
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if post {
            req = req.json(&body.unwrap_or_else(|| json!({})));
        }
        let v: Value = req
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(err) = v["value"].get("error") {
            return Err(format!("{err}: {}", v["value"]["message"]));
        }
        Ok(v["value"].clone())
    }

    /// Navigates to `url`.
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await
            .map(|_| ())
    }

    /// The first element matching `css`, if any.
    pub async fn find(&self, css: &str) -> Result<Element, String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        v[ELEMENT_KEY]
            .as_str()
            .map(|s| Element(s.to_owned()))
            .ok_or_else(|| format!("no element {css}: {v}"))
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>, String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|s| Element(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits up to `timeout` for an element matching `css` to exist and be displayed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.find(css).await {
                Ok(e) => match self.displayed(&e).await {
                    Ok(true) => return Ok(e),
                    Ok(false) => "present but hidden".to_owned(),
                    Err(err) => err,
                },
                Err(err) => err,
            };
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {css}: {last}"));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Whether the element is displayed.
    pub async fn displayed(&self, e: &Element) -> Result<bool, String> {
        Ok(self
            .cmd(reqwest::Method::GET, &format!("/element/{}/displayed", e.0), None)
            .await?
            .as_bool()
            .unwrap_or(false))
    }

    /// Clicks an element.
    pub async fn click(&self, e: &Element) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/click", e.0), None)
            .await
            .map(|_| ())
    }

    /// Clears an input.
    pub async fn clear(&self, e: &Element) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/clear", e.0), None)
            .await
            .map(|_| ())
    }

    /// Types into an element.
    pub async fn type_text(&self, e: &Element, text: &str) -> Result<(), String> {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        )
        .await
        .map(|_| ())
    }

    /// The element's visible text.
    pub async fn text(&self, e: &Element) -> Result<String, String> {
        Ok(self
            .cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> Result<String, String> {
        let e = self.find(css).await?;
        self.text(&e).await
    }

    /// Runs `script` (a function body; `arguments` available) and returns its value.
    pub async fn exec(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Resizes the window (CSS pixels of the outer window).
    pub async fn set_size(&self, width: u32, height: u32) -> Result<(), String> {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .map(|_| ())
    }

    /// Saves a PNG screenshot of the page.
    pub async fn screenshot(&self, path: &Path) -> Result<(), String> {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await?;
        let b64 = v.as_str().ok_or("no screenshot data")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string())?;
        std::fs::write(path, bytes).map_err(|e| e.to_string())
    }

    /// Ends the session.
    pub async fn quit(&self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}
