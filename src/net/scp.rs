//! A Storage SCP: accepts associations for every storage SOP class the caller offers (and
//! Verification), writes each instance as received — its data set bytes untouched, behind a
//! file meta header naming the negotiated transfer syntax — and answers success only once the
//! file is fully written and synced. File names come from the SOP Instance UID reduced to digits
//! and dots, never a path taken from a DICOM value.
//!
//! Used by `move --to-dir` (move to self); later by the ECG store tests.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dicom_object::meta::FileMetaTableBuilder;
use dicom_ul::association::{Association as _, SyncAssociation};
use dicom_ul::{Pdu, ServerAssociationOptions};

use super::assoc::{Incoming, receive_message, send_message};
use super::dimse::{self, field};
use super::{NetError, Timeouts};

/// dicomkit's Implementation Class UID (a UUID-derived UID, PS3.5 B.2).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.222220995134860478775497948142174795479";
/// dicomkit's Implementation Version Name.
pub const IMPLEMENTATION_VERSION_NAME: &str = "DICOMKIT_0_1";

/// What the SCP does.
#[derive(Debug, Clone)]
pub struct ScpOptions {
    /// Our AE title (associations to any called AE title are accepted).
    pub ae: String,
    /// Where to listen.
    pub bind: SocketAddr,
    /// Where received instances are written.
    pub dir: PathBuf,
    /// Maximum PDU length we accept.
    pub max_pdu: u32,
    /// Timeouts (ACSE for negotiation, DIMSE for each wait).
    pub timeouts: Timeouts,
}

/// Something that happened in the SCP.
#[derive(Debug, Clone, PartialEq)]
pub enum ScpEvent {
    /// An instance was written.
    Stored {
        /// The file.
        path: PathBuf,
        /// Its SOP Instance UID.
        sop_instance: String,
        /// Bytes of the data set.
        bytes: u64,
        /// Who sent it.
        calling_ae: String,
    },
    /// An instance could not be stored (a failure status was answered).
    Failed {
        /// Its SOP Instance UID (as sent).
        sop_instance: String,
        /// Why.
        reason: String,
    },
    /// An association failed (rejected, aborted, timed out).
    AssociationError(String),
}

/// A running Storage SCP. Stop it with [`StorageScp::stop`].
pub struct StorageScp {
    port: u16,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
    events: Receiver<ScpEvent>,
    linger: Duration,
}

impl StorageScp {
    /// Bind and start accepting associations in the background.
    pub fn start(options: ScpOptions) -> Result<StorageScp, NetError> {
        std::fs::create_dir_all(&options.dir).map_err(|source| NetError::Io {
            what: format!("cannot create {}", options.dir.display()),
            source,
        })?;
        let listener = TcpListener::bind(options.bind).map_err(|source| NetError::Io {
            what: format!("cannot listen on {}", options.bind),
            source,
        })?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(options.bind.port());
        listener
            .set_nonblocking(true)
            .map_err(|source| NetError::Io {
                what: "cannot configure the listening socket".into(),
                source,
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, events) = channel();
        let linger = options.timeouts.acse;
        let flag = Arc::clone(&stop);
        let acceptor = std::thread::spawn(move || accept_loop(&listener, &flag, &options, &tx));
        Ok(StorageScp {
            port,
            stop,
            acceptor: Some(acceptor),
            events,
            linger,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Events so far, without waiting.
    pub fn poll(&self) -> Vec<ScpEvent> {
        self.events.try_iter().collect()
    }

    /// Stop accepting, let open associations finish (at most the ACSE timeout), and return
    /// the events not yet polled.
    pub fn stop(mut self) -> Vec<ScpEvent> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take()
            && let Ok(handlers) = acceptor.join()
        {
            let deadline = Instant::now() + self.linger;
            while handlers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            for h in handlers.into_iter().filter(|h| h.is_finished()) {
                let _ = h.join();
            }
        }
        self.events.try_iter().collect()
    }
}

impl Drop for StorageScp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(
    listener: &TcpListener,
    stop: &AtomicBool,
    options: &ScpOptions,
    tx: &Sender<ScpEvent>,
) -> Vec<JoinHandle<()>> {
    let mut handlers = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((socket, _)) => {
                let options = options.clone();
                let tx = tx.clone();
                handlers.push(std::thread::spawn(move || {
                    if let Err(e) = serve(socket, &options, &tx) {
                        let _ = tx.send(ScpEvent::AssociationError(e.to_string()));
                    }
                }));
                handlers.retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => {
                let _ = tx.send(ScpEvent::AssociationError(format!("accept failed: {e}")));
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    handlers
}

/// One association: answer C-ECHO and C-STORE until the peer releases.
fn serve(socket: TcpStream, options: &ScpOptions, tx: &Sender<ScpEvent>) -> Result<(), NetError> {
    let _ = socket.set_nonblocking(false);
    let _ = socket.set_nodelay(true);
    let peer_addr = socket
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _ = socket.set_read_timeout(Some(options.timeouts.acse));
    let mut assoc = ServerAssociationOptions::new()
        .accept_any()
        .ae_title(options.ae.clone())
        .promiscuous(true)
        .max_pdu_length(options.max_pdu)
        .read_timeout(options.timeouts.acse)
        .establish(socket)
        .map_err(|e| {
            super::assoc::map_ul_error(
                &peer_addr,
                e,
                "the association request",
                options.timeouts.acse,
            )
        })?;
    let calling = assoc.peer_ae_title().trim().to_owned();
    let peer = format!("{calling}@{peer_addr}");
    let contexts = assoc.presentation_contexts().to_vec();
    loop {
        match receive_message(
            &mut assoc,
            &peer,
            options.timeouts.dimse,
            "a C-STORE request",
        )? {
            Incoming::ReleaseRequested => {
                let _ = SyncAssociation::send(&mut assoc, &Pdu::ReleaseRP);
                return Ok(());
            }
            Incoming::Message(m) => {
                let id = m.command.message_id.unwrap_or(0);
                match m.command.field {
                    field::C_ECHO_RQ => send_message(
                        &mut assoc,
                        &peer,
                        m.context_id,
                        &dimse::echo_rsp(id, 0),
                        None,
                        options.timeouts.dimse,
                    )?,
                    field::C_STORE_RQ => {
                        let sop_class = m.command.sop_class.clone().unwrap_or_default();
                        let sop_instance = m.command.sop_instance.clone().unwrap_or_default();
                        let ts = contexts
                            .iter()
                            .find(|pc| pc.id == m.context_id)
                            .map(|pc| pc.transfer_syntax.trim_end_matches('\0').to_owned())
                            .unwrap_or_default();
                        let data = m.data.unwrap_or_default();
                        let status = match write_instance(
                            &options.dir,
                            &sop_class,
                            &sop_instance,
                            &ts,
                            &calling,
                            &data,
                        ) {
                            Ok(path) => {
                                let _ = tx.send(ScpEvent::Stored {
                                    path,
                                    sop_instance: sop_instance.clone(),
                                    bytes: data.len() as u64,
                                    calling_ae: calling.clone(),
                                });
                                0x0000
                            }
                            Err(reason) => {
                                let _ = tx.send(ScpEvent::Failed {
                                    sop_instance: sop_instance.clone(),
                                    reason,
                                });
                                0xA700
                            }
                        };
                        let rsp = dimse::store_rsp(id, &sop_class, &sop_instance, status);
                        send_message(
                            &mut assoc,
                            &peer,
                            m.context_id,
                            &rsp,
                            None,
                            options.timeouts.dimse,
                        )?;
                    }
                    _ => {
                        let _ = SyncAssociation::send(
                            &mut assoc,
                            &Pdu::AbortRQ {
                                source: dicom_ul::pdu::AbortRQSource::ServiceUser,
                            },
                        );
                        return Err(NetError::Protocol {
                            peer,
                            what: format!("unsupported {}", m.command.name()),
                        });
                    }
                }
            }
        }
    }
}

/// A file name for an instance: the SOP Instance UID reduced to digits and dots (never a path,
/// never hidden), `.dcm`.
pub fn safe_file_name(sop_instance: &str) -> String {
    let cleaned: String = sop_instance
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .take(64)
        .collect();
    let cleaned = cleaned.trim_matches('.');
    if cleaned.is_empty() {
        "instance.dcm".to_owned()
    } else {
        format!("{cleaned}.dcm")
    }
}

/// Write one received instance: preamble, `DICM`, file meta, the data set bytes as received;
/// to a temporary name, synced, then renamed, so a file under its final name is always whole.
pub fn write_instance(
    dir: &Path,
    sop_class: &str,
    sop_instance: &str,
    ts: &str,
    calling_ae: &str,
    data: &[u8],
) -> Result<PathBuf, String> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance)
        .transfer_syntax(ts)
        .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
        .source_application_entity_title(calling_ae)
        .build()
        .map_err(|e| format!("cannot build the file meta information: {e}"))?;
    let name = safe_file_name(sop_instance);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.part"));
    let write = || -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::new(file);
        w.write_all(&[0u8; 128])?;
        w.write_all(b"DICM")?;
        meta.write(&mut w).map_err(std::io::Error::other)?;
        w.write_all(data)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_never_paths() {
        assert_eq!(safe_file_name("1.2.840.1"), "1.2.840.1.dcm");
        assert_eq!(safe_file_name("../../etc/passwd"), "instance.dcm");
        assert_eq!(safe_file_name("1.2/../3"), "1.2..3.dcm");
        assert_eq!(safe_file_name(".1.2."), "1.2.dcm");
        assert_eq!(safe_file_name(""), "instance.dcm");
        assert!(!safe_file_name(&"9".repeat(500)).contains('/'));
    }

    #[test]
    fn written_instances_read_back() {
        let dir = std::env::temp_dir().join(format!("dicomkit-scp-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // (0010,0020) LO "42" in Implicit VR LE.
        let data = [0x10, 0x00, 0x20, 0x00, 2, 0, 0, 0, b'4', b'2'];
        let path = write_instance(
            &dir,
            "1.2.840.10008.5.1.4.1.1.7",
            "1.2.3",
            super::super::IMPLICIT_VR_LE,
            "ME",
            &data,
        )
        .unwrap();
        let file = crate::dicom::read::read_file(&path, &Default::default()).unwrap();
        assert!(file.preamble);
        assert_eq!(file.transfer_syntax, super::super::IMPLICIT_VR_LE);
        assert_eq!(file.elements[0].value.to_text(), "42");
        assert!(!dir.join(".1.2.3.dcm.part").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
