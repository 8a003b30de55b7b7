//! The OpenAPI document the running server serves passes `openapi-spec-validator` (PyPI, the
//! reference validator of OpenAPI 3.1), and its request bodies and responses are typed.

use tessera_e2e::Server;

#[tokio::test]
async fn the_served_openapi_document_is_valid() {
    let s = Server::start_with(&[], &[("TESSERA_MEDIA", "false")]);
    let doc: serde_json::Value =
        s.client().get(format!("{}/api/v1/openapi.json", s.base)).send().await.unwrap().json().await.unwrap();
    let file = s.dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("python3 (with openapi-spec-validator: scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every write operation but those without input has a typed body; the schemas it refers to
    // are all there.
    let text = doc.to_string();
    for r in text.split("\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is referred to but missing");
    }
    let mut untyped = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let has_input = !path.contains("/answer")
                && !path.contains("/decline")
                && !path.contains("/cancel")
                && !path.contains("/lock")
                && !path.contains("/unlock")
                && !path.contains("/renew")
                && !path.ends_with("/attend")
                && !path.ends_with("/conference")
                && !path.contains("/presets/")
                && !path.contains("/password-link")
                && !path.ends_with("/password")
                || path == "/api/v1/me/password";
            if ["post", "put", "patch"].contains(&method.as_str()) && has_input && op["requestBody"].is_null() {
                untyped.push(format!("{method} {path}"));
            }
        }
    }
    assert!(untyped.is_empty(), "write operations without a request body: {untyped:?}");
}
