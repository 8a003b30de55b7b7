//! The user agent: routes what the transports hand over. A new INVITE starts a call task; any
//! other message goes to the call whose Call-ID it carries, or is answered here (481 for an
//! unknown dialog, 405 for methods Tessera does not take outside a call). Orders to call out
//! (the web's "Add participants") start calls of Tessera's own ([`super::dial`]).

use super::answer::{reply, tag};
use super::call;
use super::path::Inbound;
use super::{Context, DialRequest};
use std::collections::HashMap;
use std::sync::Arc;
use tessera_sip_h323_bridge::sip::check::METHODS;
use tessera_sip_h323_bridge::sip::name_addr;
use tokio::sync::mpsc;

/// More calls than this at once: new INVITEs get 503.
const MAX_CALLS: usize = 2000;

pub async fn run(ctx: Arc<Context>, mut rx: mpsc::Receiver<Inbound>, mut dial: Option<mpsc::Receiver<DialRequest>>) {
    let mut calls: HashMap<String, mpsc::Sender<Inbound>> = HashMap::new();
    // Calls Tessera places, by Call-ID: the conference they are for.
    let mut outgoing: HashMap<String, String> = HashMap::new();
    let mut seen: u32 = 0;
    loop {
        let inb = tokio::select! {
            m = rx.recv() => match m { Some(m) => m, None => return },
            Some((order, reply)) = next_order(dial.as_mut()) => {
                calls.retain(|_, tx| !tx.is_closed());
                outgoing.retain(|id, _| calls.contains_key(id));
                let r = super::dial::place(&ctx, order, &mut calls, &mut outgoing, MAX_CALLS);
                let _ = reply.send(r);
                continue;
            }
        };
        // Ended calls are forgotten now and then (and whenever their Call-ID comes up), not
        // at every message: at thousands of calls that scan was a cost of its own.
        seen = seen.wrapping_add(1);
        if seen.is_multiple_of(128) {
            calls.retain(|_, tx| !tx.is_closed());
            metrics::gauge!("tessera_sip_calls").set(calls.len() as f64);
        }
        let h = &inb.msg.headers;
        let Some(call_id) = h.single("Call-ID").ok().flatten().map(str::to_string) else { continue };
        let method = inb.msg.method().map(str::to_string);
        if let Some(tx) = calls.get(&call_id) {
            if !tx.is_closed() {
                if tx.try_send(inb).is_err() {
                    metrics::counter!("tessera_sip_messages_total", "transport" => "ua", "outcome" => "call_busy")
                        .increment(1);
                }
                continue;
            }
            calls.remove(&call_id);
        }
        let Some(method) = method else { continue }; // a response for no call of ours
        let to_tag = h
            .single("To")
            .ok()
            .flatten()
            .and_then(|t| name_addr::parse(t).ok())
            .and_then(|n| n.tag().map(str::to_string));
        match method.as_str() {
            "ACK" => {}
            "REGISTER" => {
                let ctx = ctx.clone();
                tokio::spawn(async move { super::register::handle(&ctx, inb).await });
            }
            "INVITE" if to_tag.is_none() => {
                if calls.len() >= MAX_CALLS {
                    calls.retain(|_, tx| !tx.is_closed());
                }
                if calls.len() >= MAX_CALLS {
                    let r = reply(
                        h,
                        503,
                        "Service Unavailable (too many calls)",
                        &tag(),
                        &[("Retry-After", "30".into())],
                        b"",
                    );
                    inb.respond(503, r);
                    continue;
                }
                let (tx, call_rx) = mpsc::channel(64);
                // Every line the call logs carries its Call-ID and the caller's address.
                let span = tracing::info_span!("sip_call", call_id = %call_id, peer = %inb.path.peer());
                calls.insert(call_id, tx);
                tokio::spawn(tracing::Instrument::instrument(call::run(ctx.clone(), inb, call_rx), span));
            }
            "INVITE" | "BYE" | "CANCEL" | "INFO" | "UPDATE" | "PRACK" | "NOTIFY" | "REFER" => {
                let r = reply(h, 481, "Call/Transaction Does Not Exist", &tag(), &[], b"");
                inb.respond(481, r);
            }
            _ => {
                let allow = ("Allow", METHODS.join(", "));
                let r = reply(
                    h,
                    405,
                    "Method Not Allowed (Tessera takes calls: INVITE sip:<conference>@host)",
                    &tag(),
                    &[allow],
                    b"",
                );
                inb.respond(405, r);
            }
        }
    }
}

async fn next_order(rx: Option<&mut mpsc::Receiver<DialRequest>>) -> Option<DialRequest> {
    match rx {
        Some(rx) => match rx.recv().await {
            Some(o) => Some(o),
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
