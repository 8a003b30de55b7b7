//! What an attachment of the server's devices to a conference is, whoever makes it (the live
//! request, the stored attachment's API and CLI, the runtime joining a stored one): a name as the
//! roster shows it, a camera, a microphone or both, and optionally a loudspeaker, each id as
//! `tessera devices list` prints it. Whether the machine has them is the daemon's to say.

use super::{Refusal, check_name, invalid};
use crate::said;

/// An attachment that passed [`check`]: the name trimmed, ids as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub camera: Option<String>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
}

impl Attachment {
    /// Each device with the field that names it, in the order camera, microphone, speaker.
    pub fn devices(&self) -> Vec<(&'static str, &str)> {
        [("camera", &self.camera), ("microphone", &self.microphone), ("speaker", &self.speaker)]
            .into_iter()
            .filter_map(|(f, id)| Some((f, id.as_deref()?)))
            .collect()
    }
}

/// Checks an attachment's name and device ids.
pub fn check(
    name: &str,
    camera: Option<&str>,
    microphone: Option<&str>,
    speaker: Option<&str>,
) -> Result<Attachment, Refusal> {
    let name = check_name("name", name)?;
    let id = |field: &'static str, id: Option<&str>| -> Result<Option<String>, Refusal> {
        match id {
            None => Ok(None),
            Some(id) if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) => {
                Err(invalid(field, said!("err.server.devices.id")))
            }
            Some(id) => Ok(Some(id.to_string())),
        }
    };
    let a = Attachment {
        name,
        camera: id("camera", camera)?,
        microphone: id("microphone", microphone)?,
        speaker: id("speaker", speaker)?,
    };
    if a.camera.is_none() && a.microphone.is_none() {
        return Err(invalid("camera", said!("err.server.devices.none")));
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<Attachment, Refusal>) -> &'static str {
        match r {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn an_attachment_names_a_camera_or_a_microphone_by_well_formed_ids() {
        let a = check("  Hall A ", Some("v4l:video0"), None, Some("alsa:hw:CARD=X,DEV=0")).unwrap();
        assert_eq!(a.name, "Hall A");
        assert_eq!(a.devices(), vec![("camera", "v4l:video0"), ("speaker", "alsa:hw:CARD=X,DEV=0")]);
        assert_eq!(field(check("Hall", None, None, Some("alsa:x"))), "camera");
        assert_eq!(field(check("", Some("v4l:video0"), None, None)), "name");
        assert_eq!(field(check("Hall", None, Some(""), None)), "microphone");
        assert_eq!(field(check("Hall", Some("v4l:\nvideo0"), None, None)), "camera");
        assert_eq!(field(check("Hall", Some("v"), None, Some(&"x".repeat(201)))), "speaker");
    }
}
