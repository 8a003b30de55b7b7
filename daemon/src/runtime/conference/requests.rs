//! The control requests of a running conference: the media ones (endpoints and where their
//! media goes) are carried out here; every rule about who is shown and heard, layouts, the
//! podium and devices is the core's, whose effects are applied.

use super::*;
use crate::media::engine::AudioTo;
use crate::media::handoff::Bound;
use tessera_conference::live::Devices;
use tessera_web::error::Msg;

/// An address to send an RTP participant's media to, as the API or a call gives it: parsed, and
/// allowed by the one rule of where media may go (`media::destination`).
fn media_address(field: &str, v: Option<String>) -> Result<Option<std::net::SocketAddr>, ControlError> {
    let Some(a) = v else { return Ok(None) };
    let to: std::net::SocketAddr = a.parse().map_err(|_| invalid(field, "an address like 192.0.2.10:5004"))?;
    crate::media::destination::check(to, crate::media::destination::Asker::Operator)
        .map_err(|r| invalid(field, format!("media is never sent to {}", r.reason())))?;
    Ok(Some(to))
}

impl Conf {
    pub(super) async fn control(&mut self, req: Request, actor: Option<i64>, mut bound: Bound) -> Reply {
        let by = actor.map(|a| format!("by user {a}")).unwrap_or_default();
        let mut joined = None;
        match req {
            Request::Status | Request::Start | Request::End => {}
            Request::AddSynthetic { name, colour, tone_hz, size } => {
                let name = tessera_conference::live::check_name("name", &name).map_err(refused)?;
                let size = match size {
                    None => crate::media::synthetic::SIZE,
                    Some([w, h])
                        if (16..=1920).contains(&w) && (16..=1080).contains(&h) && w % 2 == 0 && h % 2 == 0 =>
                    {
                        (w, h)
                    }
                    Some(_) => return Err(invalid("size", "even width 16 to 1920 and height 16 to 1080")),
                };
                if tone_hz != 0 && !(20..=20_000).contains(&tone_hz) {
                    return Err(invalid("tone_hz", "must be 0 (silent) or from 20 to 20000"));
                }
                let id = self.core.reserve().map_err(refused)?;
                let slot = Arc::new(MediaSlot::default());
                let rgb = (colour[0], colour[1], colour[2]);
                let src = tokio::task::block_in_place(|| Synthetic::start(&name, rgb, tone_hz, size, slot.clone()))
                    .map_err(|e| ControlError::Unavailable(Msg::text(format!("{e:#}"))))?;
                let who = Joining {
                    user: None,
                    name,
                    kind: EndpointKind::Synthetic,
                    group: None,
                    guest: None,
                    operator: false,
                };
                self.join(id, who, slot, Box::new(src), "synthetic");
                joined = Some(id);
            }
            Request::AddDevices { name, camera, microphone, speaker, echo_cancellation } => {
                let a = tessera_conference::live::attachment::check(
                    &name,
                    camera.as_deref(),
                    microphone.as_deref(),
                    speaker.as_deref(),
                )
                .map_err(refused)?;
                joined = Some(self.add_devices(a, echo_cancellation.unwrap_or(true), None).await?);
            }
            Request::SyncDevices => self.sync_devices().await,
            Request::CameraControl { participant, control, value } => {
                self.core.require(participant).map_err(refused)?;
                self.camera_control(participant, &control, value).await?;
            }
            Request::AddRtp {
                name,
                video,
                audio,
                video_to,
                audio_to,
                payload_types,
                ports,
                group,
                content,
                user,
                ends_without_media,
                sources,
                guest,
                srtp,
            } => {
                let name = tessera_conference::live::check_name("name", &name).map_err(refused)?;
                let addr = |field: &str, v: Option<String>| media_address(field, v);
                let video_to = addr("video_to", video_to)?;
                let audio_to = addr("audio_to", audio_to)?;
                let video = match video.as_deref() {
                    None => None,
                    Some(v) => Some(VideoCodec::parse(v).ok_or_else(|| invalid("video", "h264 or vp8"))?),
                };
                let audio = match audio.as_deref() {
                    None => None,
                    Some(a) => Some(AudioCodec::parse(a).ok_or_else(|| invalid("audio", "opus, pcmu, pcma or g722"))?),
                };
                if video.is_none() && audio.is_none() {
                    return Err(invalid("video", "give video, audio or both"));
                }
                if content && (video.is_none() || audio.is_some() || video_to.is_some() || audio_to.is_some()) {
                    return Err(invalid("content", "a shared screen sends video only and receives nothing"));
                }
                if audio_to.is_some() && audio.is_none() {
                    return Err(invalid("audio", "name the audio codec to send audio_to"));
                }
                let id = self.core.reserve().map_err(refused)?;
                // A sender its way in can ask for keyframes is decoded only while it is seen.
                let slot = Arc::new(MediaSlot::asking(bound.2.take()));
                let events = self.engine_events.clone();
                let keys = events.clone();
                let report = move |e: String| {
                    let _ = events.send(EngineEvent::BadInput(id, e));
                };
                let on_key: crate::media::rtp_input::Keys = Arc::new(move |digit| {
                    let _ = keys.send(EngineEvent::Key(id, digit));
                });
                let pts = payload_types.unwrap_or_default();
                for (field, pt) in [
                    ("payload_types.video", pts.video),
                    ("payload_types.audio", pts.audio),
                    ("payload_types.dtmf", pts.dtmf),
                ] {
                    if pt.is_some_and(|p| p > 127) {
                        return Err(invalid(field, "an RTP payload type is 0 to 127"));
                    }
                }
                let spec = RtpSpec {
                    bind: self.media.rtp_bind,
                    video: video
                        .map(|c| (c, pts.video.unwrap_or(c.default_pt()), ports.and_then(|p| p.video).unwrap_or(0))),
                    audio: audio
                        .map(|c| (c, pts.audio.unwrap_or(c.default_pt()), ports.and_then(|p| p.audio).unwrap_or(0))),
                    dtmf_pt: pts.dtmf,
                    h264_single_nal: pts.h264_single_nal,
                    opus_dtx: pts.opus_dtx,
                };
                // SIP peers (addresses known from signalling) get symmetric RTP; endpoints an
                // operator added and browsers' relays receive where they said.
                let symmetric =
                    !sources.is_empty() && group.unwrap_or(EndpointGroup::SipH323) == EndpointGroup::SipH323;
                let input = tokio::task::block_in_place(|| {
                    RtpInput::start(
                        &name,
                        &spec,
                        &srtp.as_deref().cloned().unwrap_or_default(),
                        &mut bound,
                        &sources,
                        symmetric,
                        slot.clone(),
                        crate::media::rtp_input::Reports { bad_input: Box::new(report), keys: on_key },
                    )
                })
                .map_err(|e| ControlError::Unavailable(Msg::text(format!("{e:#}"))))?;
                let ports = RtpPorts { video: input.video_port, audio: input.audio_port };
                let mut from = input.sockets();
                // Browsers' media is DTLS-SRTP between them and Tessera (their peer relays it
                // here on this host); a SIP peer's is encrypted when it negotiated SRTP.
                let encrypted = group == Some(EndpointGroup::WebRtc)
                    || srtp.as_ref().is_some_and(|k| {
                        (k.audio.is_some() || spec.audio.is_none()) && (k.video.is_some() || spec.video.is_none())
                    });
                from.srtp = srtp.map(|k| *k).unwrap_or_default();
                from.sent = std::mem::take(&mut bound.1);
                let detail = format!("rtp video {video:?} audio {audio:?}");
                let group = group.unwrap_or(EndpointGroup::SipH323);
                let kind = match (content, group) {
                    (true, _) => EndpointKind::Screen,
                    (false, EndpointGroup::WebRtc) => EndpointKind::WebRtc,
                    (false, EndpointGroup::SipH323) => EndpointKind::Rtp,
                };
                // Operators moderate every conference they join: the core's rule, fed here.
                let operator = match user {
                    Some(u) => {
                        self.store.rights_of(u).await.is_ok_and(|r| r.contains(&tessera_web::rights::Right::Operator))
                    }
                    None => false,
                };
                let who = Joining { user, name, kind, group: Some(group), guest, operator };
                if ends_without_media {
                    let w = Watched { slot: slot.clone(), since_ms: MediaSlot::now_ms(), held: false };
                    self.watched.insert(id, w);
                }
                self.rtp_ports.insert(id, ports);
                if encrypted {
                    self.encrypted.insert(id);
                }
                self.join(id, who, slot, Box::new(input), &detail);
                joined = Some(id);
                if video_to.is_some() || audio_to.is_some() {
                    // An endpoint that sends no video still gets the picture, as H.264.
                    let (codec, pt) = spec.video.map_or((VideoCodec::H264, 96), |v| (v.0, v.1));
                    let video_to = video_to.map(|to| VideoTo { to, codec, pt, single_nal: spec.h264_single_nal });
                    let audio_to = audio_to.zip(spec.audio).map(|(to, a)| AudioTo::of(to, a, spec.opus_dtx));
                    self.send(EngineCmd::Receive { id, video_to, audio_to, from: from.clone() });
                    let fx = self.core.receives(id);
                    self.apply(fx);
                }
                self.rtp_specs.insert(id, spec);
                self.rtp_sockets.insert(id, from);
                if content {
                    let (old, fx) = self.core.share(id);
                    if let Some(old) = old {
                        self.remove(old, "another participant started sharing a screen");
                    }
                    self.apply(fx);
                }
            }
            Request::SendTo { participant, video_to, audio_to } => {
                self.core.require(participant).map_err(refused)?;
                let addr = |field: &str, v: Option<String>| media_address(field, v);
                let (video_to, audio_to) = (addr("video_to", video_to)?, addr("audio_to", audio_to)?);
                let spec = self.rtp_specs.get(&participant).ok_or_else(|| {
                    ControlError::Conflict(Msg::text("only RTP participants receive media at an address"))
                })?;
                if video_to.is_some() && spec.video.is_none() {
                    return Err(invalid("video_to", "this participant has no video"));
                }
                if audio_to.is_some() && spec.audio.is_none() {
                    return Err(invalid("audio_to", "this participant has no audio"));
                }
                let video_to = video_to.zip(spec.video).map(|(to, v)| VideoTo {
                    to,
                    codec: v.0,
                    pt: v.1,
                    single_nal: spec.h264_single_nal,
                });
                let audio_to = audio_to.zip(spec.audio).map(|(to, a)| AudioTo::of(to, a, spec.opus_dtx));
                // Nothing to send either way: the call is on hold, and its media may stop.
                if let Some(w) = self.watched.get_mut(&participant) {
                    w.held = video_to.is_none() && audio_to.is_none();
                }
                let from = self.rtp_sockets.get(&participant).cloned().unwrap_or_default();
                self.send(EngineCmd::Receive { id: participant, video_to, audio_to, from });
                let fx = self.core.receives(participant);
                self.apply(fx);
            }
            Request::Keyframe { participant } => {
                self.core.require(participant).map_err(refused)?;
                self.send(EngineCmd::Keyframe(participant));
                return Ok(self.state());
            }
            Request::VideoTier { participant, tier } => {
                self.core.require(participant).map_err(refused)?;
                self.send(EngineCmd::Tier(participant, tier));
                return Ok(self.state());
            }
            Request::RemoveUser { user } => {
                for p in self.core.participants_of(user) {
                    self.remove(p, "the account was disabled");
                }
            }
            Request::Remove { participant } => {
                self.core.require(participant).map_err(refused)?;
                self.remove(participant, &format!("removed {by}"));
            }
            Request::ApplyLayout { scope, layout, version } => {
                let fx = self.core.apply_layout(scope, layout, version, &by).map_err(refused)?;
                self.apply(fx);
            }
            Request::Preview { layout } => {
                layout
                    .validate()
                    .map_err(|e| ControlError::Invalid { field: "layout".into(), message: Msg::text(e.to_string()) })?;
                return Ok(LiveState { shown: self.core.preview(&layout), ..self.state() });
            }
            Request::Rename { scope, participant, name } => {
                let fx = self.core.rename(scope, participant, name.as_deref()).map_err(refused)?;
                self.apply(fx);
            }
            Request::Device { participant, camera, microphone, gain } => {
                let d = Devices { camera, microphone, gain };
                let fx = self.core.devices(participant, d, &by).map_err(refused)?;
                self.apply(fx);
            }
            Request::Podium { participant, on } => {
                let fx = self.core.set_podium(participant, on).map_err(refused)?;
                self.apply(fx);
            }
            Request::AskPodium { participant } => {
                let fx = self.core.ask_podium(participant).map_err(refused)?;
                self.apply(fx);
            }
            Request::Key { participant, digit } => {
                let fx = self.core.key(participant, digit).map_err(refused)?;
                self.apply(fx);
            }
            Request::ChooseLayout { participant, kind } => {
                let fx = self.core.choose_layout(participant, kind).map_err(refused)?;
                self.apply(fx);
            }
            Request::AnswerPodium { participant, approve } => {
                let fx = self.core.answer_podium(participant, approve).map_err(refused)?;
                self.apply(fx);
            }
            Request::Moderator { participant, on } => {
                let fx = self.core.set_moderator(participant, on).map_err(refused)?;
                self.apply(fx);
            }
            Request::Presenter { participant } => {
                let fx = self.core.set_presenter(participant).map_err(refused)?;
                self.apply(fx);
            }
        }
        Ok(LiveState { joined, ..self.state() })
    }
}

impl Conf {
    /// Takes a participant out of the core (roster, stage, layouts) and its media out of the
    /// engine.
    pub(super) fn remove(&mut self, participant: ParticipantId, why: &str) {
        if self.core.member(participant).is_none() {
            return;
        }
        self.rtp_specs.remove(&participant);
        self.rtp_sockets.remove(&participant);
        self.rtp_ports.remove(&participant);
        self.shown_sizes.remove(&participant);
        self.encrypted.remove(&participant);
        self.cameras.remove(&participant);
        if let Some(l) = self.locals.remove(&participant) {
            super::local::close(&self.settings.id, participant, l);
        }
        self.watched.remove(&participant);
        let fx = self.core.leave(participant, why);
        self.apply(fx);
    }
}
