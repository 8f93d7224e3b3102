//! `gridbot migrate` against a temporary SQLite file, through the binary.

use std::path::Path;
use std::process::{Command, Output};

fn gridbot(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .arg("migrate")
        .args(args)
        .args(["--db", db])
        .env_remove("GRIDBOT_DB")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn applied(o: &Output) -> usize {
    stdout(o).lines().filter(|l| l.contains(" applied ")).count()
}

fn pending(o: &Output) -> usize {
    stdout(o).lines().filter(|l| l.contains(" pending ")).count()
}

#[test]
fn migrate_up_creates_the_database_and_its_folder_and_down_reverts_one_migration_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/gridbot.db");
    let db = format!("sqlite://{}", file.display());

    let up = gridbot(&db, &["up"]);
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(Path::new(&file).exists());
    let total = applied(&up);
    assert!(total >= 2, "{}", stdout(&up));
    assert_eq!(pending(&up), 0);

    let down = gridbot(&db, &["down"]);
    assert!(down.status.success());
    assert_eq!((applied(&down), pending(&down)), (total - 1, 1));

    let all_down = gridbot(&db, &["down", "--to", "0"]);
    assert!(all_down.status.success());
    assert_eq!((applied(&all_down), pending(&all_down)), (0, total));

    let again = gridbot(&db, &["up"]);
    assert!(again.status.success());
    assert_eq!(applied(&again), total);
    let status = gridbot(&db, &["status"]);
    assert_eq!(applied(&status), total);
}

#[test]
fn migrate_refuses_an_unknown_database_url_as_bad_input() {
    let out = gridbot("mysql://localhost/db", &["up"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db"));
}

#[test]
fn migrate_reports_a_database_it_cannot_open_as_a_runtime_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rw", dir.path().join("missing.db").display());
    let out = gridbot(&db, &["up"]);
    assert_eq!(out.status.code(), Some(1));
}
