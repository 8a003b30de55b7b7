//! The live API of running conferences from a test: a signed-in client that posts control
//! requests and reads JSON, and the synthetic participants the media tests add.

use crate::Server;
use serde_json::{Value, json};

pub const RED: (u8, u8, u8) = (220, 40, 40);
pub const GREEN: (u8, u8, u8) = (40, 200, 60);
pub const BLUE: (u8, u8, u8) = (40, 60, 220);
pub const YELLOW: (u8, u8, u8) = (230, 210, 40);

pub struct Api {
    pub c: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl Api {
    pub async fn new(s: &Server, login: &str, password: &str) -> Api {
        let (c, csrf) = s.sign_in(login, password).await;
        Api { c, csrf, base: s.base.clone() }
    }

    pub async fn live(&self, conf: &str, body: Value) -> (u16, Value) {
        self.post(&format!("/api/v1/conferences/{conf}/live"), body).await
    }

    /// The names of the participants of a running conference.
    pub async fn participants(&self, conf: &str) -> Vec<String> {
        let (_, v) = self.get(&format!("/api/v1/conferences/{conf}/live")).await;
        v["participants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits (15 s at most) until `name` is among the participants of `conf` (`present`) or not.
    pub async fn wait_for(&self, conf: &str, name: &str, present: bool) {
        for _ in 0..150 {
            if self.participants(conf).await.iter().any(|n| n == name) == present {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let now = self.participants(conf).await;
        panic!("{name} {} {conf}: {now:?}", if present { "never joined" } else { "never left" });
    }

    pub async fn ok(&self, conf: &str, body: Value) -> Value {
        let (st, v) = self.live(conf, body.clone()).await;
        assert_eq!(st, 200, "{body}: {v}");
        v
    }

    /// Posts `body` to `path` (with the CSRF token): the status and the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Deletes `path` (with the CSRF token): the status.
    pub async fn delete(&self, path: &str) -> u16 {
        let r = self.c.delete(format!("{}{path}", self.base)).header("x-csrf-token", &self.csrf).send().await.unwrap();
        r.status().as_u16()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.c.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

pub fn synthetic(name: &str, c: (u8, u8, u8), tone: u32) -> Value {
    json!({"action": "add_synthetic", "name": name, "colour": [c.0, c.1, c.2], "tone_hz": tone})
}
