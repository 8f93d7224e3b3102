//! The owner's API contract, read from `SEED_API.md` as their client reads
//! it, checked against the real `gridbot serve` (paper exchange, simulated
//! market at 60×, SQLite): every route of the contract's tables is called
//! and every field of its answer's shape is checked for its name and JSON
//! type (int, number, str, bool, object, ISO-8601 time, one of the quoted
//! values, `|null`).
//!
//! The shapes are parsed from the document itself ([`parse_shapes`]), so a
//! field added there fails this test until the server serves it; a route
//! added there fails it until the test calls it ([`CALLED`]).
//!
//! The document lives in the shared folder beside the repository
//! (`../shared/SEED_API.md`); `GRIDBOT_SEED_API` overrides the path.

#[path = "support/serve.rs"]
mod serve;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use serve::Server;

/// A field's JSON type as the contract states it.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    /// Not stated: the field must be present.
    Any,
    Int,
    Number,
    Str,
    Bool,
    Object,
    Iso,
    Enum(Vec<String>),
    /// An array of the named shape.
    ArrayOf(String),
    /// An object with these fields.
    Fields(Vec<Field>),
    /// An array of objects with these fields.
    ArrayOfFields(Vec<Field>),
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    ty: Ty,
    nullable: bool,
}

/// Removes `(...)` (nested) and `**`.
fn strip_asides(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace("**", "")
}

/// The backticked tokens of `s`.
fn ticks(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The type a field's description states (and whether the word was plural).
fn type_of(rest: &str) -> (Ty, bool, bool) {
    let nullable = rest.contains("|null");
    if let Some(shape) = ticks(rest)
        .into_iter()
        .find_map(|t| t.strip_suffix("[]").map(str::to_owned))
    {
        if shape.chars().next().is_some_and(char::is_uppercase) {
            return (Ty::ArrayOf(shape), false, nullable);
        }
    }
    let quoted: Vec<String> = ticks(rest)
        .iter()
        .filter(|t| t.starts_with('"'))
        .flat_map(|t| t.split('|').map(|v| v.trim_matches('"').to_owned()).collect::<Vec<_>>())
        .filter(|v| v != "null")
        .collect();
    if !quoted.is_empty() && !rest.contains(" str") {
        return (Ty::Enum(quoted), false, nullable);
    }
    let words: Vec<&str> = rest
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let ty = if has("ISO-8601") {
        Ty::Iso
    } else if has("int") {
        Ty::Int
    } else if has("number") || has("numbers") {
        Ty::Number
    } else if has("str") {
        Ty::Str
    } else if has("bool") {
        Ty::Bool
    } else if has("object") {
        Ty::Object
    } else {
        Ty::Any
    };
    (ty, has("numbers"), nullable)
}

/// Splits at `sep` outside backticks.
fn split_outside_ticks(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut inside = false;
    for c in s.chars() {
        if c == '`' {
            inside = !inside;
        }
        if c == sep && !inside {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// Fields of a list of `, `-separated segments; untyped fields just before
/// a plural type ("`a`, `b`, `c` numbers") share it.
fn fields_of(segments: &[String]) -> Vec<Field> {
    let mut out: Vec<(Field, bool)> = Vec::new();
    for seg in segments {
        let t = ticks(seg);
        let Some(name) = t.first() else { continue };
        if name.starts_with('"') {
            continue;
        }
        let rest = seg.split_once(&format!("`{name}`")).map_or("", |(_, r)| r);
        let (ty, plural, nullable) = type_of(rest);
        out.push((
            Field {
                name: name.trim_end_matches("[]").to_owned(),
                ty,
                nullable,
            },
            plural,
        ));
    }
    let mut carry: Option<Ty> = None;
    for (f, plural) in out.iter_mut().rev() {
        if *plural {
            carry = Some(f.ty.clone());
        } else if f.ty == Ty::Any {
            if let Some(t) = &carry {
                f.ty = t.clone();
            }
        } else {
            carry = None;
        }
    }
    out.into_iter().map(|(f, _)| f).collect()
}

/// The fields of a shape's description.
fn parse_body(body: &str) -> Vec<Field> {
    let body = strip_asides(body);
    let mut fields = Vec::new();
    for group in split_outside_ticks(&body, ';') {
        let segments = split_outside_ticks(&group, ',');
        let first = segments.first().cloned().unwrap_or_default();
        let t = ticks(&first);
        let Some(name) = t.first().cloned() else { continue };
        let after = first.split_once(&format!("`{name}`")).map_or("", |(_, r)| r).to_owned();
        if let (Some(base), Some(rest)) = (name.strip_suffix("[]"), after.trim_start().strip_prefix("each with")) {
            let mut sub = vec![rest.to_owned()];
            sub.extend(segments[1..].iter().cloned());
            fields.push(Field {
                name: base.to_owned(),
                ty: Ty::ArrayOfFields(fields_of(&sub)),
                nullable: false,
            });
        } else if let Some(rest) = after.trim_start().strip_prefix(':') {
            if matches!(type_of(rest).0, Ty::ArrayOf(_)) {
                fields.extend(fields_of(&segments));
            } else {
                let mut sub = vec![rest.to_owned()];
                sub.extend(segments[1..].iter().cloned());
                fields.push(Field {
                    name,
                    ty: Ty::Fields(fields_of(&sub)),
                    nullable: false,
                });
            }
        } else {
            fields.extend(fields_of(&segments));
        }
    }
    fields
}

/// Every shape of the document: the paragraphs that start with `` `Name`: ``
/// and the grid positions (`GridPosition`).
fn parse_shapes(doc: &str) -> BTreeMap<String, Vec<Field>> {
    let mut shapes = BTreeMap::new();
    for para in doc.split("\n\n") {
        let text = para.replace('\n', " ");
        let text = text.trim();
        let (name, body) = if let Some(rest) = text.strip_prefix('`') {
            let Some((name, body)) = rest.split_once("`:") else {
                continue;
            };
            if !name.chars().next().is_some_and(char::is_uppercase) || name.contains(' ') {
                continue;
            }
            (name.to_owned(), body.to_owned())
        } else if let Some(rest) = text.strip_prefix("Grid positions") {
            let Some((_, body)) = rest.split_once("):") else {
                continue;
            };
            ("GridPosition".to_owned(), body.to_owned())
        } else {
            continue;
        };
        shapes.insert(name, parse_body(&body));
    }
    shapes
}

/// A route of the contract's tables: method, full path, answer.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    path: String,
    answer: String,
}

fn parse_routes(doc: &str) -> Vec<Route> {
    let mut prefix = String::new();
    let mut out = Vec::new();
    for line in doc.lines() {
        if line.starts_with("## ") {
            prefix = ticks(line).into_iter().find(|t| t.starts_with('/')).unwrap_or_default();
            continue;
        }
        // `\|` is a pipe inside a cell (`?status=running\|stopped`).
        let line = line.replace("\\|", "/");
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() < 6 || !["GET", "POST", "DELETE", "PUT", "PATCH"].contains(&cols[1]) {
            continue;
        }
        let path = ticks(cols[2]).first().cloned().unwrap_or_default();
        out.push(Route {
            method: cols[1].to_owned(),
            path: format!("{prefix}{path}"),
            answer: cols[4].to_owned(),
        });
    }
    out
}

fn is_iso(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && (s.ends_with('Z') || s.contains('+'))
}

/// Checks `v` against `fields` (shapes by name for references); appends
/// what is wrong to `errors`.
fn check(v: &Value, fields: &[Field], shapes: &BTreeMap<String, Vec<Field>>, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = v.as_object() else {
        errors.push(format!("{at}: not an object: {v}"));
        return;
    };
    for f in fields {
        let here = format!("{at}.{}", f.name);
        let Some(x) = obj.get(&f.name) else {
            errors.push(format!("{here}: missing"));
            continue;
        };
        if x.is_null() {
            if !f.nullable && f.ty != Ty::Any {
                errors.push(format!("{here}: null but the contract says {:?}", f.ty));
            }
            continue;
        }
        let ok = match &f.ty {
            Ty::Any => true,
            Ty::Int => x.is_i64() || x.is_u64(),
            Ty::Number => x.is_number(),
            Ty::Str => x.is_string(),
            Ty::Bool => x.is_boolean(),
            Ty::Object => x.is_object(),
            Ty::Iso => x.as_str().is_some_and(is_iso),
            Ty::Enum(vals) => x.as_str().is_some_and(|s| vals.iter().any(|v| v == s)),
            Ty::ArrayOf(shape) => match (x.as_array(), shapes.get(shape)) {
                (Some(items), Some(sub)) => {
                    for (i, item) in items.iter().enumerate() {
                        check(item, sub, shapes, &format!("{here}[{i}]"), errors);
                    }
                    true
                }
                _ => false,
            },
            Ty::Fields(sub) => {
                check(x, sub, shapes, &here, errors);
                true
            }
            Ty::ArrayOfFields(sub) => match x.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check(item, sub, shapes, &format!("{here}[{i}]"), errors);
                    }
                    true
                }
                None => false,
            },
        };
        if !ok {
            errors.push(format!("{here}: {x} is not {:?}", f.ty));
        }
    }
}

/// Checks an answer against the table's answer column.
fn check_answer(route: &Route, v: &Value, shapes: &BTreeMap<String, Vec<Field>>) -> Vec<String> {
    let mut errors = Vec::new();
    let at = format!("{} {}", route.method, route.path);
    let first = ticks(&route.answer).into_iter().next().unwrap_or_default();
    if let Some(inline) = first.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        // `{success: bool}`
        let fields: Vec<Field> = inline
            .split(',')
            .filter_map(|kv| kv.split_once(':'))
            .map(|(k, t)| Field {
                name: k.trim().to_owned(),
                ty: type_of(t).0,
                nullable: false,
            })
            .collect();
        check(v, &fields, shapes, &at, &mut errors);
    } else if let Some(shape) = first.strip_suffix("[]") {
        match (v.as_array(), shapes.get(shape)) {
            (Some(items), Some(fields)) => {
                if items.is_empty() {
                    errors.push(format!("{at}: empty list, nothing checked"));
                }
                for (i, item) in items.iter().enumerate() {
                    check(item, fields, shapes, &format!("{at}[{i}]"), &mut errors);
                }
            }
            _ => errors.push(format!("{at}: not a list of {shape}: {v}")),
        }
    } else if let Some(fields) = shapes.get(&first) {
        check(v, fields, shapes, &at, &mut errors);
    } else if route.answer.contains("grid's positions") {
        // Performance: some list of the answer holds the grid positions.
        let positions = &shapes["GridPosition"];
        let lists: Vec<&Vec<Value>> = v
            .as_object()
            .map(|o| o.values().filter_map(Value::as_array).collect())
            .unwrap_or_default();
        let fits = lists.iter().any(|items| {
            !items.is_empty()
                && items.iter().all(|item| {
                    let mut e = Vec::new();
                    check(item, positions, shapes, &at, &mut e);
                    e.is_empty()
                })
        });
        if !fits {
            errors.push(format!("{at}: no list of grid positions in {v}"));
        }
    } else {
        errors.push(format!("{at}: cannot read the answer column {:?}", route.answer));
    }
    errors
}

/// The routes this test calls, as "METHOD path" (a route of the document
/// not listed here fails the test).
const CALLED: [&str; 14] = [
    "GET /api/v1/multibot/templates",
    "GET /api/v1/multibot/templates/{id}",
    "POST /api/v1/multibot/bots",
    "DELETE /api/v1/multibot/bots/{id}",
    "GET /api/v1/multibot/bots",
    "GET /api/v1/multibot/bots/{id}",
    "GET /api/v1/multibot/summary",
    "GET /api/v1/multibot/balance-check",
    "POST /api/v1/grid-bot/analyze",
    "POST /api/v1/grid-bot/create",
    "POST /api/v1/grid-bot/{bot_id}/start",
    "POST /api/v1/grid-bot/{bot_id}/stop",
    "GET /api/v1/grid-bot/list",
    "GET /api/v1/grid-bot/{bot_id}/performance",
];

fn seed_api() -> String {
    let path = std::env::var("GRIDBOT_SEED_API")
        .unwrap_or_else(|_| format!("{}/../shared/SEED_API.md", env!("CARGO_MANIFEST_DIR")));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the owner's contract {path}: {e} (set GRIDBOT_SEED_API to its path)"))
}

#[test]
fn the_contract_document_parses_into_every_shape_and_route() {
    let doc = seed_api();
    let shapes = parse_shapes(&doc);
    for name in [
        "TemplateResponse",
        "BotInstanceResponse",
        "BalanceSummaryResponse",
        "BalanceCheckResponse",
        "GridAnalysis",
        "GridBot",
        "GridPosition",
    ] {
        assert!(shapes.contains_key(name), "shape {name} not found: {:?}", shapes.keys());
    }
    let bot = &shapes["BotInstanceResponse"];
    let get = |n: &str| {
        bot.iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("{n}: {bot:?}"))
    };
    assert_eq!(get("allocated_amount").ty, Ty::Number);
    assert_eq!(get("template_id").ty, Ty::Int);
    assert!(get("last_signal_at").nullable && get("last_signal_at").ty == Ty::Iso);
    assert_eq!(
        get("status").ty,
        Ty::Enum(vec!["running".into(), "stopped".into(), "error".into()])
    );
    assert!(!bot.iter().any(|f| f.name == "state"), "asides are not fields");
    let summary = &shapes["BalanceSummaryResponse"];
    assert_eq!(
        summary.iter().find(|f| f.name == "total_balance").unwrap().ty,
        Ty::Number
    );
    assert_eq!(
        summary.iter().find(|f| f.name == "bots").unwrap().ty,
        Ty::ArrayOf("BotInstanceResponse".into())
    );
    let check = &shapes["BalanceCheckResponse"];
    assert_eq!(check.iter().find(|f| f.name == "available").unwrap().ty, Ty::Bool);
    let routes = parse_routes(&doc);
    assert_eq!(routes.len(), CALLED.len(), "{routes:?}");
    for r in &routes {
        let key = format!("{} {}", r.method, r.path);
        assert!(CALLED.contains(&key.as_str()), "the test does not call {key}");
    }
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_owners_contract_answers_the_owners_shape() {
    let doc = seed_api();
    let shapes = parse_shapes(&doc);
    let routes: BTreeMap<String, Route> = parse_routes(&doc)
        .into_iter()
        .map(|r| (format!("{} {}", r.method, r.path), r))
        .collect();
    let server = Server::start(60).await;
    let t = server.login().await;
    let mut answers: Vec<(String, Value)> = Vec::new();
    let mut call = |key: &str, v: Value| answers.push((key.to_owned(), v));

    let (s, templates) = server.call(Method::GET, "/api/v1/multibot/templates", &t, None).await;
    assert_eq!(s, 200, "{templates}");
    let tpl = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["symbol"] == "ETHUSDT")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    call("GET /api/v1/multibot/templates", templates.clone());
    let (s, v) = server
        .call(Method::GET, &format!("/api/v1/multibot/templates/{tpl}"), &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    call("GET /api/v1/multibot/templates/{id}", v);
    let (s, v) = server
        .call(Method::GET, "/api/v1/multibot/balance-check?amount=500", &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["available"], true, "{v}");
    call("GET /api/v1/multibot/balance-check", v);
    // The owner's client sends the amount as a number.
    let (s, bot) = server
        .call(
            Method::POST,
            "/api/v1/multibot/bots",
            &t,
            Some(json!({"template_id": tpl, "amount": 100})),
        )
        .await;
    assert_eq!(s, 201, "{bot}");
    let trend = bot["id"].as_i64().unwrap();
    call("POST /api/v1/multibot/bots", bot);
    let (s, v) = server
        .call(Method::GET, "/api/v1/multibot/bots?status=all", &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    call("GET /api/v1/multibot/bots", v);
    let (s, v) = server
        .call(Method::GET, &format!("/api/v1/multibot/bots/{trend}"), &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    call("GET /api/v1/multibot/bots/{id}", v);

    let (s, analysis) = server
        .call(
            Method::POST,
            "/api/v1/grid-bot/analyze",
            &t,
            Some(json!({"symbol": "BTCUSDT"})),
        )
        .await;
    assert_eq!(s, 200, "{analysis}");
    call("POST /api/v1/grid-bot/analyze", analysis.clone());
    let rec = analysis["recommended_strategies"][0].clone();
    let (s, grid) = server
        .call(
            Method::POST,
            "/api/v1/grid-bot/create",
            &t,
            Some(json!({
                "symbol": "BTCUSDT", "grid_type": "arithmetic",
                "price_range_lower": rec["price_range_lower"], "price_range_upper": rec["price_range_upper"],
                "grid_count": rec["grid_count"], "leverage": rec["leverage"], "investment_ratio": 20,
                "is_ai_recommended": true
            })),
        )
        .await;
    assert_eq!(s, 201, "{grid}");
    let gid = grid["id"].as_i64().unwrap();
    call("POST /api/v1/grid-bot/create", grid);
    let (s, v) = server
        .call(Method::POST, &format!("/api/v1/grid-bot/{gid}/start"), &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    call("POST /api/v1/grid-bot/{bot_id}/start", v);
    let (s, v) = server.call(Method::GET, "/api/v1/grid-bot/list", &t, None).await;
    assert_eq!(s, 200, "{v}");
    call("GET /api/v1/grid-bot/list", v);
    let perf = wait_for("the grid's positions", Duration::from_secs(60), || async {
        let (s, v) = server
            .call(Method::GET, &format!("/api/v1/grid-bot/{gid}/performance"), &t, None)
            .await;
        (s == 200 && v["grid_positions"].as_array().is_some_and(|p| !p.is_empty())).then_some(v)
    })
    .await;
    call("GET /api/v1/grid-bot/{bot_id}/performance", perf);
    let (s, v) = server.call(Method::GET, "/api/v1/multibot/summary", &t, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["bots"].as_array().unwrap().len(), 2, "{v}");
    call("GET /api/v1/multibot/summary", v);
    let (s, v) = server
        .call(Method::POST, &format!("/api/v1/grid-bot/{gid}/stop"), &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    call("POST /api/v1/grid-bot/{bot_id}/stop", v);
    let (s, v) = server
        .call(Method::DELETE, &format!("/api/v1/multibot/bots/{trend}"), &t, None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["success"], true);
    call("DELETE /api/v1/multibot/bots/{id}", v);

    let mut errors = Vec::new();
    for (key, v) in &answers {
        let route = routes
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not a route of the contract"));
        errors.extend(check_answer(route, v, &shapes));
    }
    let checked: Vec<&str> = answers.iter().map(|(k, _)| k.as_str()).collect();
    for key in routes.keys() {
        assert!(checked.contains(&key.as_str()), "{key} not called");
    }
    assert!(
        errors.is_empty(),
        "{} contract violations:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
