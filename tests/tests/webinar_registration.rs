//! Webinars end to end, in a network namespace this test creates (only loopback): headless
//! Chromium builds a webinar with registration through the form, a guest signs up, the join
//! link arrives at a local SMTP sink (`aiosmtpd`) and joins over WebRTC; the same link from a
//! second browser disconnects the first; a user of the server attends; registration closes when
//! the conference is full and after its configured time; the widget frames the page
//! (`browser/webinar.mjs` drives the browsers and reports what it found).

use tessera_e2e::netns::{Netns, browser_server_env};
use tessera_e2e::{admin_with, free_port, run_browser_in, smtp_env, smtp_sink};

fn admin(env: &[(String, String)], args: &[&str], stdin: &str) {
    let o = admin_with(env, args, stdin);
    assert!(o.status.success(), "tessera admin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn guests_sign_up_and_join_a_webinar_with_their_link() {
    let ns = Netns::new(&format!("tessera-wb-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let (_sink, smtp_port) = smtp_sink(Some(&ns), &maildir);
    let http = free_port();
    let base = format!("http://127.0.0.1:{http}");
    let mut env = browser_server_env(dir.path(), http, free_port(), "320x180");
    env.push(("TESSERA_PUBLIC_URL".into(), base.clone()));
    env.extend(smtp_env(smtp_port));
    admin(&env, &["user", "add", "alice"], "alice-password\n");
    admin(&env, &["user", "add", "bob"], "bob-password\n");
    admin(&env, &["license", "grant", "alice", "--days", "1"], "");
    admin(&env, &["license", "grant", "bob", "--days", "1"], "");
    admin(&env, &["rights", "grant", "alice", "create_conferences"], "");

    let log_path = dir.path().join("server.log");
    let _server = ns.serve_ready(&env, &log_path);
    let server_log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    let y4m = dir.path().join("camera.y4m");
    let st = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x20C020:s=320x240:r=15", "-t", "2"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(&y4m)
        .status()
        .expect("ffmpeg is missing: apt-get install ffmpeg (scripts/test.sh does)");
    assert!(st.success());
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::minutes(2)).format("%Y-%m-%dT%H:%M").to_string();
    let end = (now + chrono::Duration::minutes(60)).format("%Y-%m-%dT%H:%M").to_string();
    let keep = std::env::var("TESSERA_SCREENSHOTS").ok();
    let stdout = run_browser_in(
        Some(&ns),
        "webinar",
        &[
            ("BASE", &base),
            ("LOGIN", "alice"),
            ("PASSWORD", "alice-password"),
            ("BOB", "bob"),
            ("BOB_PASSWORD", "bob-password"),
            ("START", &start),
            ("END", &end),
            ("MAILDIR", maildir.to_str().unwrap()),
            ("Y4M", y4m.to_str().unwrap()),
            ("OUT", keep.as_deref().unwrap_or(out.to_str().unwrap())),
        ],
    );
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", server_log()));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), server_log());

    // The form: the custom field was added last and dragged above the email field.
    assert_eq!(r["fields_before_drag"], serde_json::json!(["name", "email", "organization", "custom"]));
    assert_eq!(r["fields_after_drag"], serde_json::json!(["name", "custom", "email", "organization"]));
    let card = r["card_registration"].as_str().unwrap();
    assert!(card.contains("open") && card.contains("0"), "{card}");
    let id = r["id"].as_str().unwrap();
    assert!(r["widget"].as_str().unwrap().contains(&format!("src=\"{base}/c/{id}?embed=1\"")), "{}", r["widget"]);

    // Signing up: required fields starred, in the organiser's order; the missing one named.
    let labels: Vec<&str> = r["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().trim()).collect();
    assert_eq!(labels, ["Name *", "Company size *", "Email *", "Organization"]);
    assert_eq!(r["missing_error"], "is required");
    assert_eq!(r["missing_invalid"], "true");
    assert!(r["signup_message"].as_str().unwrap().contains("gina@example.org"), "{}", r["signup_message"]);
    assert_eq!(r["mail_subject"], "Your link to join: Launch webinar");
    assert!(r["link_token_chars"].as_u64().unwrap() >= 22, "at least 128 bits in base64url");

    // The link joined; the second device took over; one Gina in the conference.
    assert!(r["g1_frames"].as_u64().unwrap() >= 10 && r["g2_frames"].as_u64().unwrap() >= 10, "{r}");
    assert!(r["roster_one"].as_array().unwrap().iter().any(|n| n == "Gina Guest"), "{}", r["roster_one"]);
    assert!(r["g1_status"].as_str().unwrap().contains("another device"), "{}", r["g1_status"]);
    assert_eq!(r["g1_call_hidden"], true);
    assert_eq!(r["roster_two"].as_array().unwrap().iter().filter(|n| *n == "Gina Guest").count(), 1);

    // Bob could not join as himself until he attended; then he is a participant.
    assert_eq!(r["bob_join_before"], 0);
    assert!(r["participants"].as_array().unwrap().iter().any(|p| p == "bob"), "{}", r["participants"]);

    // Closing when full (with Copy link shown, no mail asked for), and after the set time.
    let shown = r["shown_link"].as_str().unwrap();
    assert!(shown.starts_with(&base) && shown.contains("#t="), "{shown}");
    assert_eq!(r["clipboard"], shown);
    assert!(r["full_notice"].as_str().unwrap().contains("full"), "{}", r["full_notice"]);
    assert_eq!(r["full_sign_up_buttons"], 0);
    assert_eq!(r["full_refusal"][0], 422);
    assert!(r["closed_notice"].as_str().unwrap().contains("closed"), "{}", r["closed_notice"]);
    assert_eq!(r["closed_sign_up_buttons"], 0);
    assert!(r["closed_calendar"].as_str().unwrap().ends_with("/calendar.ics"));

    // The widget framed the conference page in another page.
    assert_eq!(r["widget_title"], "Launch webinar");
    assert_eq!(r["widget_sign_up"], 1);
    assert_eq!(r["plain_frame_title"], 0, "the normal page refuses to be framed: {}", r["plain_frame_url"]);
    let log = server_log();
    assert!(log.contains("a guest signed up"), "{log}");
    let token = shown.split("#t=").nth(1).unwrap();
    assert!(!log.contains(token), "the join token is never logged");
}
