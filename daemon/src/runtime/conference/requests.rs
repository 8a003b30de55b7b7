//! The control requests of a running conference: validated here, turned into roster changes,
//! engine commands and history events.

use super::*;

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
    pub(super) async fn control(&mut self, req: Request, actor: Option<i64>) -> Reply {
        let by = actor.map(|a| format!("by user {a}")).unwrap_or_default();
        match req {
            Request::Status | Request::Start | Request::End => {}
            Request::AddSynthetic { name, colour, tone_hz, size } => {
                let name = check_name("name", &name)?;
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
                let id = self.next_participant()?;
                let slot = Arc::new(MediaSlot::default());
                let rgb = (colour[0], colour[1], colour[2]);
                let src = tokio::task::block_in_place(|| Synthetic::start(&name, rgb, tone_hz, size, slot.clone()))
                    .map_err(|e| ControlError::Unavailable(format!("{e:#}")))?;
                let who = Joining { id, user: None, name, kind: "synthetic", group: None, rtp_ports: None };
                self.join(who, slot, Box::new(src), "synthetic").await;
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
            } => {
                let name = check_name("name", &name)?;
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
                let id = self.next_participant()?;
                let slot = Arc::new(MediaSlot::default());
                let events = self.engine_events.clone();
                let report = move |e: String| {
                    let _ = events.send(EngineEvent::BadInput(id, e));
                };
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
                };
                // SIP peers (addresses known from signalling) get symmetric RTP; endpoints an
                // operator added and browsers' relays receive where they said.
                let symmetric =
                    !sources.is_empty() && group.unwrap_or(EndpointGroup::SipH323) == EndpointGroup::SipH323;
                let input = tokio::task::block_in_place(|| {
                    RtpInput::start(&name, &spec, &sources, symmetric, slot.clone(), report)
                })
                .map_err(|e| ControlError::Unavailable(format!("{e:#}")))?;
                let ports = RtpPorts { video: input.video_port, audio: input.audio_port };
                let from = input.sockets();
                let detail = format!("rtp video {video:?} audio {audio:?}");
                let group = group.unwrap_or(EndpointGroup::SipH323);
                let kind = match (content, group) {
                    (true, _) => "screen",
                    (false, EndpointGroup::WebRtc) => "webrtc",
                    (false, EndpointGroup::SipH323) => "rtp",
                };
                let who = Joining { id, user, name, kind, group: Some(group), rtp_ports: Some(ports) };
                if ends_without_media {
                    let w = Watched { slot: slot.clone(), since_ms: MediaSlot::now_ms(), held: false };
                    self.watched.insert(id, w);
                }
                self.join(who, slot, Box::new(input), &detail).await;
                if video_to.is_some() || audio_to.is_some() {
                    // An endpoint that sends no video still gets the picture, as H.264.
                    let (codec, pt) = spec.video.map_or((VideoCodec::H264, 96), |v| (v.0, v.1));
                    let video_to = video_to.map(|to| VideoTo { to, codec, pt, single_nal: spec.h264_single_nal });
                    let audio_to = audio_to.zip(spec.audio.map(|a| (a.0, a.1))).map(|(to, (c, pt))| (to, c, pt));
                    self.send(EngineCmd::Receive { id, video_to, audio_to, from: from.clone() });
                    self.receivers.insert(id);
                    self.send(EngineCmd::View(id, self.view_of(id, Some(group))));
                }
                self.rtp_specs.insert(id, spec);
                self.rtp_sockets.insert(id, from);
                if content {
                    if let Some(old) = self.content.replace(id) {
                        self.remove(old, "another participant started sharing a screen").await;
                    }
                    self.send(EngineCmd::Content(Some(id)));
                }
            }
            Request::SendTo { participant, video_to, audio_to } => {
                self.participant_mut(participant)?;
                let addr = |field: &str, v: Option<String>| media_address(field, v);
                let (video_to, audio_to) = (addr("video_to", video_to)?, addr("audio_to", audio_to)?);
                let spec = self.rtp_specs.get(&participant).ok_or_else(|| {
                    ControlError::Conflict("only RTP participants receive media at an address".into())
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
                let audio_to = audio_to.zip(spec.audio).map(|(to, a)| (to, a.0, a.1));
                // Nothing to send either way: the call is on hold, and its media may stop.
                if let Some(w) = self.watched.get_mut(&participant) {
                    w.held = video_to.is_none() && audio_to.is_none();
                }
                let from = self.rtp_sockets.get(&participant).cloned().unwrap_or_default();
                self.send(EngineCmd::Receive { id: participant, video_to, audio_to, from });
                self.receivers.insert(participant);
                let group = self.participant_mut(participant)?.info.group;
                self.send(EngineCmd::View(participant, self.view_of(participant, group)));
            }
            Request::Keyframe { participant } => {
                self.participant_mut(participant)?;
                self.send(EngineCmd::Keyframe(participant));
                return Ok(self.state());
            }
            Request::RemoveUser { user } => {
                let theirs: Vec<ParticipantId> =
                    self.users.iter().filter(|(_, u)| **u == user).map(|(p, _)| *p).collect();
                for p in theirs {
                    self.remove(p, "the account was disabled").await;
                }
            }
            Request::Remove { participant } => {
                self.participant_mut(participant)?;
                self.remove(participant, &format!("removed {by}")).await;
            }
            Request::ApplyLayout { scope, layout, version } => {
                if self.mode == Mode::VideoLecture {
                    return Err(ControlError::Conflict("layouts are not available in video lecture mode".into()));
                }
                if let Some(v) = version
                    && v != self.layout_version
                {
                    return Err(ControlError::Conflict(format!(
                        "the layouts changed since you loaded them (version {v}, now {}): reload and apply again",
                        self.layout_version
                    )));
                }
                if let Some(l) = &layout {
                    l.validate().map_err(|e| invalid("layout", e.to_string()))?;
                }
                match (scope, layout) {
                    (Scope::All, Some(l)) => self.layouts.all = l,
                    (Scope::All, None) => self.layouts.all = Layout::default(),
                    (Scope::Group(g), l) => {
                        match l {
                            Some(l) => self.layouts.groups.insert(g, l),
                            None => self.layouts.groups.remove(&g),
                        };
                    }
                    (Scope::Participant(p), l) => {
                        self.participant_mut(p)?;
                        match l {
                            Some(l) => self.layouts.participants.insert(p, l),
                            None => self.layouts.participants.remove(&p),
                        };
                    }
                }
                self.layout_version += 1;
                self.layouts_changed().await;
                self.event("layout", None, "", &format!("{scope:?} {by}"));
            }
            Request::Rename { scope, participant, name } => {
                self.participant_mut(participant)?;
                let name = name.map(|n| check_name("name", &n)).transpose()?;
                let layout = match scope {
                    Scope::All => &mut self.layouts.all,
                    Scope::Group(g) => self.layouts.groups.entry(g).or_insert_with(|| self.layouts.all.clone()),
                    Scope::Participant(p) => {
                        self.layouts.participants.entry(p).or_insert_with(|| self.layouts.all.clone())
                    }
                };
                match &name {
                    Some(n) => layout.display_names.insert(participant, n.clone()),
                    None => layout.display_names.remove(&participant),
                };
                self.layout_version += 1;
                self.layouts_changed().await;
                self.event("renamed", Some(participant), name.as_deref().unwrap_or(""), &format!("{scope:?}"));
            }
            Request::Device { participant, camera, microphone, gain } => {
                if let Some(g) = gain
                    && !(g.is_finite() && (0.0..=MAX_GAIN).contains(&g))
                {
                    return Err(invalid("gain", format!("must be from 0 to {MAX_GAIN}")));
                }
                let p = self.participant_mut(participant)?;
                let name = p.info.name.clone();
                let mut changes = Vec::new();
                if let Some(c) = camera {
                    p.info.camera = c;
                    changes.push(format!("camera {}", if c { "on" } else { "off" }));
                }
                if let Some(m) = microphone {
                    p.info.microphone = m;
                    changes.push(format!("microphone {}", if m { "on" } else { "off" }));
                }
                if let Some(g) = gain {
                    p.info.gain = g;
                    changes.push(format!("gain {g}"));
                }
                if let Some(c) = camera {
                    self.send(EngineCmd::Camera(participant, c));
                }
                if let Some(m) = microphone {
                    self.send(EngineCmd::Microphone(participant, m));
                }
                if let Some(g) = gain {
                    self.send(EngineCmd::Gain(participant, g));
                }
                self.event("device", Some(participant), &name, &format!("{} {by}", changes.join(", ")));
            }
            Request::Podium { participant, on } => {
                if self.mode != Mode::RoleBased {
                    return Err(ControlError::Conflict("the podium exists in role-based mode only".into()));
                }
                let name = self.participant_mut(participant)?.info.name.clone();
                if on && !self.podium.contains(&participant) {
                    if self.podium.len() as i64 >= self.settings.active_speakers.max(1) {
                        return Err(ControlError::Conflict(format!(
                            "the podium is full ({} active speakers); take someone off first",
                            self.settings.active_speakers.max(1)
                        )));
                    }
                    self.podium.push(participant);
                } else if !on {
                    self.podium.retain(|x| *x != participant);
                }
                self.apply_stage();
                self.event("podium", Some(participant), &name, if on { "on" } else { "off" });
            }
            Request::Moderator { participant, on } => {
                let p = self.participant_mut(participant)?;
                p.info.moderator = on;
                let name = p.info.name.clone();
                self.event("moderator", Some(participant), &name, if on { "assigned" } else { "revoked" });
            }
            Request::Presenter { participant } => {
                if self.mode != Mode::VideoLecture {
                    return Err(ControlError::Conflict("a presenter exists in video lecture mode only".into()));
                }
                let name = self.participant_mut(participant)?.info.name.clone();
                self.presenter = Some(participant);
                self.apply_stage();
                self.event("presenter", Some(participant), &name, "");
            }
        }
        Ok(self.state())
    }
}

impl Conf {
    /// Takes a participant out of the roster, the layouts and the media.
    pub(super) async fn remove(&mut self, participant: ParticipantId, why: &str) {
        let Some(p) = self.roster.iter().find(|x| x.info.id == participant).map(|p| p.info.clone()) else { return };
        self.roster.retain(|x| x.info.id != participant);
        self.receivers.remove(&participant);
        self.rtp_specs.remove(&participant);
        self.rtp_sockets.remove(&participant);
        self.watched.remove(&participant);
        self.podium.retain(|x| *x != participant);
        if self.presenter == Some(participant) {
            self.presenter = None;
        }
        if self.content == Some(participant) {
            self.content = None;
            self.send(EngineCmd::Content(None));
        }
        self.layouts.participants.remove(&participant);
        if self.users.remove(&participant).is_some() {
            self.send(EngineCmd::Layout(self.engine_layout(&self.layouts.all)));
        }
        self.send(EngineCmd::Remove(participant));
        self.apply_stage();
        self.event("left", Some(participant), &p.name, why);
    }
}
