//! `tessera devices …`: what this machine has, and the attachments stored with conferences
//! (made through the same checks as the API's, `server_devices::attach`). A running server
//! notices a change within a second (the store's generation).

use crate::cli::DevicesCommand;
use crate::config::Config;
use crate::local_devices::LocalDevices;
use anyhow::{Context, bail};
use std::sync::Arc;
use tessera_devices::inventory::Inventory;
use tessera_web::server_devices::{AttachRequest, Directory, attach};
use tessera_web::store::Store;

pub async fn run(config: &Config, cmd: DevicesCommand) -> anyhow::Result<()> {
    if let DevicesCommand::List { json } = cmd {
        let found = tokio::task::spawn_blocking(Inventory::scan).await?;
        if json {
            println!("{}", serde_json::to_string_pretty(&found)?);
        } else {
            for line in found.lines() {
                println!("{line}");
            }
        }
        return Ok(());
    }
    let store = Store::open(&config.database_url()).await.context("opening the database")?;
    match cmd {
        DevicesCommand::List { .. } => Ok(()),
        DevicesCommand::Attach { conference, name, camera, microphone, speaker, no_echo_cancellation, start_room } => {
            let conference = conference.to_ascii_lowercase();
            if !store.conference_exists(&conference).await? {
                bail!("no conference {conference}");
            }
            let directory =
                config.devices.enabled.then(|| LocalDevices::new(config.devices.clone()) as Arc<dyn Directory>);
            let asked = AttachRequest {
                name,
                camera,
                microphone,
                speaker,
                echo_cancellation: Some(!no_echo_cancellation),
                start_room: Some(start_room),
            };
            let a = attach(&store, directory, &conference, asked).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("attached {} to {conference} as {:?}", a.id, a.name);
            Ok(())
        }
        DevicesCommand::Detach { conference, attachment } => {
            let conference = conference.to_ascii_lowercase();
            store
                .remove_device_attachment(&conference, attachment)
                .await
                .with_context(|| format!("detaching {attachment} from {conference}"))?;
            println!("detached {attachment} from {conference}");
            Ok(())
        }
        DevicesCommand::Attached { conference, json } => {
            let all = match conference {
                Some(c) => store.device_attachments(&c.to_ascii_lowercase()).await?,
                None => store.all_device_attachments().await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(());
            }
            for a in all {
                let mut devices: Vec<String> =
                    [("camera", &a.camera), ("microphone", &a.microphone), ("speaker", &a.speaker)]
                        .into_iter()
                        .filter_map(|(f, d)| Some(format!("{f} {}", d.as_deref()?)))
                        .collect();
                if !a.echo_cancellation {
                    devices.push("no echo cancellation".into());
                }
                if a.start_room {
                    devices.push("starts the room".into());
                }
                println!("{}\t{}\t{:?}\t{}", a.id, a.conference, a.name, devices.join(", "));
            }
            Ok(())
        }
    }
}
