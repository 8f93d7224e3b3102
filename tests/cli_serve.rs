//! `gridbot serve` flag checks that need no server: a bad choice is refused
//! up front with exit code 2 and a message saying what to set.

use std::process::Command;

#[test]
fn deepseek_advisor_without_a_key_is_refused_with_the_variable_to_set() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(["serve", "--advisor", "deepseek", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path().join("d"))
        .env_remove("GRIDBOT_DEEPSEEK_API_KEY")
        .env_remove("GRIDBOT_ADVISOR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GRIDBOT_DEEPSEEK_API_KEY"), "{err}");
    assert!(
        !data.path().join("d").exists(),
        "nothing was created before the refusal"
    );
}

#[test]
fn the_advisor_can_be_chosen_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path().join("d"))
        .env("GRIDBOT_ADVISOR", "deepseek")
        .env_remove("GRIDBOT_DEEPSEEK_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--advisor deepseek"));
}

#[test]
fn an_unknown_advisor_is_refused_by_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(["serve", "--advisor", "oracle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("oracle"));
}
