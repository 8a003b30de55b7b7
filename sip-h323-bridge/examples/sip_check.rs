//! Prints what Tessera would answer to each SIP datagram named on the command line:
//! `cargo run -p tessera-sip-h323-bridge --example sip_check -- tests/rfc4475/*.dat`.

use tessera_sip_h323_bridge::sip::check::{Outcome, datagram};

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let what = match datagram(&bytes) {
            Outcome::Request(m) => format!("handle request {}", m.method().unwrap_or_default()),
            Outcome::Response(_) => "handle response".to_string(),
            Outcome::Reject(r, _) => format!("{} {}", r.code, r.reason),
            Outcome::Drop(why) => format!("drop ({why})"),
        };
        println!("{path}: {what}");
    }
}
