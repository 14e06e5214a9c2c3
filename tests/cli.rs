//! The `antar` binary as an operator uses it: bootstrap prints the admin token as its last line,
//! `serve` answers on the port it reports, and SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("antar-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bootstrap_prints_the_token_once_and_refuses_a_second_time() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("antar.db").display());
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_antar"))
            .args(["admin", "bootstrap", "--database", &db])
            .current_dir(&dir)
            .env_remove("ANTAR_DATABASE_URL")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8(first.stdout).unwrap();
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("antar_") && last.len() > 40,
        "last line is the token: {out}"
    );
    let second = run();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
}

#[cfg(unix)]
#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("antar.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_antar"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .current_dir(&dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("ANTAR_ROADS__GRAPH", "")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve logs its address").unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != ':')
                .to_owned();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        antar::crypto::install_tls_provider();
        reqwest::get(format!("http://{addr}/readyz"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("antar stopped")), "{rest:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
