//! The command line: `tessera serve` (the default) and `tessera admin …`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "tessera", version, about = "Tessera: a self-hosted video-conferencing server")]
pub struct Cli {
    /// Configuration file (default: /etc/tessera/tessera.toml when it exists).
    #[arg(long, global = true, value_name = "FILE", env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Administer users, rights, licenses, the lockout policy and settings.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the configuration and exit.
    CheckConfig,
    /// Ask the running server (over its local control socket): status, conferences,
    /// participants, registrations; kick, end, drain.
    #[command(subcommand)]
    Ctl(CtlCommand),
    /// Cameras, microphones and loudspeakers attached to this machine.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Shell completions on standard output: `tessera completions bash >
    /// /usr/share/bash-completion/completions/tessera` (also zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// The manual page (roff) on standard output: `tessera man | man -l -`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// Every camera (with its modes and controls) and audio device, by the id to attach it with.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Store devices of this machine with a conference: they join as one participant whenever
    /// it runs (a running server picks this up within a second). Needs `[devices] enabled`.
    Attach {
        /// The conference's id (as in its link).
        conference: String,
        /// The participant's name in the roster and layouts ("Hall A").
        #[arg(long)]
        name: String,
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        microphone: Option<String>,
        /// A loudspeaker that plays the conference's mix (its own voice excluded).
        #[arg(long)]
        speaker: Option<String>,
        /// The microphone cancels no echo (it does so itself).
        #[arg(long)]
        no_echo_cancellation: bool,
        /// Start the conference (a virtual room) for these devices now and whenever the server
        /// starts.
        #[arg(long)]
        start_room: bool,
    },
    /// Remove a stored attachment (its participant leaves).
    Detach { conference: String, attachment: i64 },
    /// The stored attachments, of every conference or of one.
    Attached {
        conference: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CtlCommand {
    /// Version, uptime, what runs, how many phones are registered, whether it drains.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The running conferences and how many are in each.
    Conferences {
        #[arg(long)]
        json: bool,
    },
    /// Who is in a running conference (id, name, kind, microphone, camera).
    Participants {
        conference: String,
        #[arg(long)]
        json: bool,
    },
    /// The SIP phones registered now.
    Registrations {
        #[arg(long)]
        json: bool,
    },
    /// Remove a participant (its id from `participants`) from a conference.
    Kick { conference: String, participant: u64 },
    /// End a running conference.
    End { conference: String },
    /// Let no new conference or join in, wait for the running ones to end (at most
    /// --timeout-seconds), then stop the server, for an upgrade.
    Drain {
        #[arg(long, default_value_t = 3600)]
        timeout_seconds: u64,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Create a public virtual room `demo` that anyone can try.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The nine user rights.
    #[command(subcommand)]
    Rights(RightsCommand),
    /// PRO licenses.
    #[command(subcommand)]
    License(LicenseCommand),
    /// The account lockout policy.
    #[command(subcommand)]
    Lockout(LockoutCommand),
    /// Server-wide settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Conferences (scheduling proper is in the personal area).
    #[command(subcommand)]
    Conference(ConferenceCommand),
    /// The shared address book every user sees (read-only for them).
    #[command(subcommand)]
    AddressBook(AddressBookCommand),
    /// A consistent copy of the SQLite database, taken while the server runs, into FILE (new;
    /// owner-only: it holds password hashes). PostgreSQL: use pg_dump.
    Backup { file: PathBuf },
    /// Put a backup in place of the database (the server must be stopped); the database it
    /// replaces is kept beside it.
    Restore { file: PathBuf },
    /// The audit log of administrative actions (this command line and `tessera ctl`), newest
    /// first.
    Audit {
        /// CSV (UTF-8, a header row) instead of a table.
        #[arg(long)]
        csv: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum AddressBookCommand {
    /// Add a user of the server (--login) or a SIP/H.323 address (--address), with a name.
    Add {
        #[arg(long, conflicts_with = "address", required_unless_present = "address")]
        login: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the shared address book (id, name, user or address).
    List,
    /// Remove an entry by its id (from `list`).
    Remove { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        login: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List users with their state.
    List,
    /// Set a user's password from standard input; ends their sessions.
    SetPassword { login: String },
    /// Disable an account; ends its sessions.
    Disable { login: String },
    /// Enable a disabled account.
    Enable { login: String },
    /// Lift a lockout before its period ends.
    Unlock { login: String },
    /// Give the administrator role (the administration API), or take it with --revoke.
    Admin {
        login: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RightsCommand {
    /// Grant rights (or `all`).
    Grant {
        login: String,
        #[arg(required = true)]
        rights: Vec<String>,
    },
    /// Revoke rights (or `all`).
    Revoke {
        login: String,
        #[arg(required = true)]
        rights: Vec<String>,
    },
    /// Show a user's rights, or every right with its meaning.
    List { login: Option<String> },
}

#[derive(Subcommand, Debug)]
pub enum LicenseCommand {
    /// Give a permanent license, or a temporary one with --days or --until.
    Grant {
        login: String,
        #[arg(long, conflicts_with_all = ["days", "until"])]
        permanent: bool,
        /// Temporary license valid for this many days from now.
        #[arg(long, conflicts_with = "until")]
        days: Option<u32>,
        /// Temporary license valid until this UTC date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM).
        #[arg(long)]
        until: Option<String>,
    },
    /// Take a user's license away.
    Revoke { login: String },
    /// Show a user's license.
    Show { login: String },
}

#[derive(Subcommand, Debug)]
pub enum LockoutCommand {
    /// Show the policy.
    Show,
    /// Change the policy.
    Set {
        /// Failed attempts before the account is locked (1-100).
        #[arg(long)]
        attempts: Option<String>,
        /// Minutes the account stays locked (1-10080).
        #[arg(long)]
        minutes: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Every setting with its value and meaning.
    List,
    Get {
        key: String,
    },
    Set {
        key: String,
        value: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConferenceCommand {
    /// Create a conference owned by a user.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner: String,
        /// A virtual room instead of a scheduled meeting.
        #[arg(long, conflicts_with_all = ["start", "duration"])]
        room: bool,
        /// Start, local to --time-zone: YYYY-MM-DDTHH:MM.
        #[arg(long, required_unless_present = "room")]
        start: Option<String>,
        /// Duration in minutes.
        #[arg(long, default_value_t = 60)]
        duration: u32,
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// A public conference (webinar) instead of a private one.
        #[arg(long)]
        public: bool,
        #[arg(long)]
        pin: Option<String>,
        /// Private only: users of the server may join without an invitation (they sign in).
        #[arg(long)]
        join_without_invitation: bool,
        /// Encrypted media only: SIP callers must use SRTP over SIP TLS; H.323 calls are refused.
        #[arg(long)]
        encrypted_media: bool,
    },
    /// The conference's media: mode, recording, multicast output, live streaming, devices on join.
    Media {
        id: String,
        /// all_on_screen, video_lecture or role_based.
        #[arg(long, value_parser = ["all_on_screen", "video_lecture", "role_based"])]
        mode: Option<String>,
        /// Role-based mode: how many may be on the podium (1 to 25).
        #[arg(long)]
        active_speakers: Option<u8>,
        /// Record on the server each time the conference runs.
        #[arg(long)]
        record: Option<bool>,
        /// Send the conference to a UDP multicast group: GROUP:PORT (video on PORT, audio on PORT + 2).
        #[arg(long, conflicts_with = "no_multicast")]
        multicast: Option<String>,
        /// Multicast time-to-live (hops).
        #[arg(long, default_value_t = 1)]
        ttl: u8,
        /// Remove the multicast output.
        #[arg(long)]
        no_multicast: bool,
        /// Stream the conference live to a platform while it runs: the rtmp://, rtmps:// or
        /// srt:// URL it gives (stream key included); `-` reads it from standard input, which
        /// keeps the key out of the process list and the shell's history.
        #[arg(long, value_name = "URL", conflicts_with = "no_stream")]
        stream: Option<String>,
        /// Stop streaming to a platform.
        #[arg(long)]
        no_stream: bool,
        /// Serve the conference as HLS while it runs, for players and HTTP caches or CDNs in
        /// front of a large audience; prints the playlist's address, whose key part is secret.
        #[arg(long, conflicts_with = "no_hls")]
        hls: bool,
        /// Give the HLS output a new address: the old one stops working at once.
        #[arg(long, conflicts_with = "no_hls")]
        hls_new_key: bool,
        /// Stop serving the conference as HLS.
        #[arg(long)]
        no_hls: bool,
        #[arg(long)]
        cameras_off_on_join: Option<bool>,
        #[arg(long)]
        microphones_off_on_join: Option<bool>,
    },
    /// Add a user to a conference.
    Invite {
        id: String,
        login: String,
        #[arg(long, default_value = "participant", value_parser = ["participant", "moderator"])]
        role: String,
    },
}
