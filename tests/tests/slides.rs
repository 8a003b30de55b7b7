//! Slide shows in Chromium (`browser/slides.mjs`): a presenter with the slide show right opens
//! a PDF on the conference page; pdf.js renders its pages in the browser and the canvas goes to
//! the conference as the content stream. The RTSP picture shows the first page's colour, then
//! the second's after Next; a participant without the right has no controls and is refused.

use serde_json::json;
use tessera_e2e::{Server, browser_scenario};

#[tokio::test(flavor = "multi_thread")]
async fn a_presenter_shows_a_pdf_page_by_page_in_the_content_slot() {
    let s = Server::start_with(&[], &[("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1")]);
    assert!(s.log().contains("slide shows on"), "{}", s.log());
    s.add_user("alice", "alice-password");
    for right in ["create_conferences", "slideshow"] {
        s.admin_ok(&["rights", "grant", "alice", right], "");
    }
    s.admin_ok(&["user", "add", "bob", "--display-name", "Bob Viewer"], "bob-password\n");
    for who in ["alice", "bob"] {
        s.admin_ok(&["license", "grant", who, "--days", "1"], "");
    }
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    let body = json!({"id": "deck", "name": "Deck", "kind": "room",
        "participants": [{"login": "bob", "role": "participant"}]});
    let r = alice.post(format!("{}/api/v1/conferences", s.base)).header("x-csrf-token", &csrf).json(&body).send().await;
    assert_eq!(r.unwrap().status(), 201);
    // pdf.js is served from Debian's package, and nothing else from its directory.
    let js = alice.get(format!("{}/static/pdfjs/pdf.js", s.base)).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("pdfjsLib"));
    for other in ["pdf.sandbox.js", "..%2Fpdf.js", "viewer.html"] {
        let r = alice.get(format!("{}/static/pdfjs/{other}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{other}");
    }

    let dir = tempfile::tempdir().unwrap();
    let y4m = tessera_e2e::media::camera_y4m(dir.path());
    let pdf = tessera_e2e::media::slides_pdf(dir.path(), &[(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]);
    let rtsp = format!("rtsp://127.0.0.1:{}/deck", s.rtsp_port);
    let r = browser_scenario(
        &s,
        "slides",
        &[
            ("BASE", s.base.as_str()),
            ("CONF", "deck"),
            ("RTSP", &rtsp),
            ("PDF", pdf.to_str().unwrap()),
            ("OWNER", "alice"),
            ("OWNER_PASSWORD", "alice-password"),
            ("USER", "bob"),
            ("USER_PASSWORD", "bob-password"),
            ("Y4M", y4m.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r["page_label"], "1 / 2");
    assert_eq!(r["content_name"], "alice (slides)");
    let n = |k: &str| r[k].as_u64().unwrap();
    // The camera's test picture has some red and blue of its own; a page fills the content slot.
    assert!(n("red_first") > n("red_before") + 5000, "the first page is not in the picture: {r}");
    assert_eq!(r["page_label_next"], "2 / 2");
    assert!(n("blue_second") > n("blue_before") + 5000, "the second page is not in the picture: {r}");
    assert!(n("red_second") < n("red_first") / 4, "the first page is still shown: {r}");
    assert_eq!(r["controls_hidden_after"], true);
    assert_eq!(r["user_has_slides"], false);
    assert!(r["user_refused"].as_str().unwrap().contains("no right to show slides"), "{r}");
}
