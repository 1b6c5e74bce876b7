//! Pictures stay pictures: a symbolic link in the image folder that leads out of it, or a
//! file that is not an image, is never read into a request, and `validate` calls both
//! unsafe. (Once, a link to a `.env` went to the model server as `data:image/png`.)

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use crate::common::{evaluate_args, liveclin, mock_server, repo};

const SECRET: &str = "DATABASE_PASSWORD=correct-horse-battery-staple";
const NOT_A_PICTURE: &str = "Just some notes, saved under a picture's name.\n";

/// The secret file outside the image folder. It starts like a PNG, so that only the
/// link check can keep it from being sent (the text file tests the magic-byte check).
fn secret_file() -> Vec<u8> {
    [&b"\x89PNG\r\n\x1a\n"[..], SECRET.as_bytes()].concat()
}
/// A picture of a later question (so the case's first turn, which the mock knows cases
/// by, is unchanged) replaced by a link to the secret.
const LINKED: &str = "case01/fig2.png";
/// A picture replaced by a text file.
const TEXT: &str = "case02/fig3.jpg";

fn base64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A copy of the demo config under `dir/data/demo` whose `LINKED` picture is a link to a
/// secret outside the image folder and whose `TEXT` picture is text.
fn tampered_demo(dir: &Path) {
    let config = dir.join("data/demo");
    crate::common::copy_dir(&repo("data/demo"), &config);
    let secret = dir.join("secret.env");
    std::fs::write(&secret, secret_file()).unwrap();
    let linked = config.join("image").join(LINKED);
    std::fs::remove_file(&linked).unwrap();
    std::os::unix::fs::symlink(&secret, &linked).unwrap();
    std::fs::write(config.join("image").join(TEXT), NOT_A_PICTURE).unwrap();
}

/// The line of the demo JSONL that references the picture `file`.
fn line_of(file: &str) -> u64 {
    let text = std::fs::read_to_string(repo("data/demo/demo.jsonl")).unwrap();
    let needle = format!("\"file\": \"{file}\"");
    let index = text.lines().position(|l| l.contains(&needle)).unwrap();
    index as u64 + 1
}

fn data_flags(dir: &Path) -> [OsString; 4] {
    [
        "--data-dir".into(),
        dir.into(),
        "--dataset".into(),
        "demo".into(),
    ]
}

/// Every text that must never leave: the secret and the text file, raw and as base64.
fn forbidden() -> [String; 4] {
    [
        SECRET.to_string(),
        base64(secret_file()),
        NOT_A_PICTURE.trim().to_string(),
        base64(NOT_A_PICTURE),
    ]
}

fn assert_never_in(text: &str, what: &str) {
    for bad in forbidden() {
        assert!(!text.contains(&bad), "{what} holds {bad:?}");
    }
}

#[test]
fn validate_calls_links_out_and_non_pictures_unsafe_on_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    tampered_demo(dir.path());
    let out = liveclin()
        .args(["validate", "--json"])
        .args(data_flags(dir.path()))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["images_unsafe"], 2);
    assert_eq!(report["images_present"], 75);
    let errors: Vec<(u64, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| (p["line"].as_u64().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, line_of(LINKED));
    assert!(
        errors[0]
            .1
            .contains(&format!("{LINKED:?} leads out of the image root")),
        "{errors:?}"
    );
    assert_eq!(errors[1].0, line_of(TEXT));
    assert!(
        errors[1]
            .1
            .contains(&format!("{TEXT} is not an image file")),
        "{errors:?}"
    );

    // The text report says the same, file:line first.
    let text = liveclin()
        .arg("validate")
        .args(data_flags(dir.path()))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains(", 2 unsafe;"), "{text}");
    for (file, line) in [(LINKED, line_of(LINKED)), (TEXT, line_of(TEXT))] {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("demo.jsonl:{line}: error:")) && l.contains(file)),
            "{file} on line {line}: {text}"
        );
    }
}

/// `liveclin prompts --json` of the demo config under `data_dir`, local mode.
fn prompts_json(data_dir: &Path) -> String {
    let out = liveclin()
        .args(["prompts", "--json", "--image-mode", "local"])
        .args(data_flags(data_dir))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn prompts_never_hold_what_is_not_a_picture_of_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    tampered_demo(dir.path());
    let text = prompts_json(dir.path());
    assert_never_in(&text, "prompts --json");
    // Every other picture is still sent.
    let pictures = |text: &str| text.matches("\"data:image/").count();
    assert_eq!(pictures(&text), pictures(&prompts_json(&repo(""))) - 2);
}

#[test]
fn evaluate_never_sends_what_is_not_a_picture_of_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    tampered_demo(dir.path());
    let server = mock_server(liveclin_net::mock::MockConfig {
        watch: Some(base64(secret_file())),
        ..Default::default()
    });
    let runs = tempfile::tempdir().unwrap();
    let output = runs.path().join("results.json");
    let mut args = evaluate_args(&server.base, &output, &["--image-mode", "local"]);
    let at = args.iter().position(|a| a == "--data-dir").unwrap();
    args[at + 1] = dir.path().into();
    let run = liveclin().args(args).output().unwrap();

    let stats = server.mock.stats();
    assert_eq!(stats.watched, 0, "a request held the secret");
    assert_eq!(stats.rejected, 0, "the mock refused a picture");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stats.answered.len(), 72, "every question was answered");
    let written: Vec<PathBuf> = std::fs::read_dir(runs.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(written.contains(&output), "{written:?}");
    for file in written {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_never_in(&text, &file.display().to_string());
    }
}
