//! Every published signature vector (REST and WebSocket login) passes.

use gridbot_bitget::common::signing::{rest_prehash, sign_rest, sign_ws_login, ws_login_prehash};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/signature_vectors.json")).unwrap()
}

#[test]
fn every_rest_vector_produces_the_expected_prehash_and_signature() {
    let v = vectors();
    let rest = v["rest"].as_array().unwrap();
    assert!(rest.len() >= 7);
    for case in rest {
        let s = |k: &str| case[k].as_str().unwrap();
        let pre = rest_prehash(
            s("timestamp"),
            s("method"),
            s("requestPath"),
            s("queryString"),
            s("body"),
        );
        assert_eq!(pre, s("prehash"));
        let sign = sign_rest(
            s("secret"),
            s("timestamp"),
            s("method"),
            s("requestPath"),
            s("queryString"),
            s("body"),
        );
        assert_eq!(sign, s("expected_ACCESS_SIGN"), "vector {case}");
    }
}

#[test]
fn every_websocket_login_vector_produces_the_expected_signature() {
    let v = vectors();
    for case in v["ws_login"].as_array().unwrap() {
        let s = |k: &str| case[k].as_str().unwrap();
        assert_eq!(ws_login_prehash(s("timestamp_seconds")), s("prehash"));
        assert_eq!(sign_ws_login(s("secret"), s("timestamp_seconds")), s("expected_sign"));
    }
}
