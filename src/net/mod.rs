//! The DICOM network core: associations over dicom-ul with timeouts and TCP_NODELAY, a DIMSE
//! layer (command sets, PDV assembly, statuses), the C-ECHO / C-FIND / C-MOVE services as an
//! SCU, and a Storage SCP.
//!
//! dicom-ul gives associations and PDUs; everything above them is here:
//! - [`Node`]: a peer `AE@HOST:PORT`, validated before any connection;
//! - [`assoc::Association`]: a client association with connect, ACSE and DIMSE timeouts,
//!   explicit release, A-ABORT as service user, and message send/receive that keeps command
//!   and data fragments apart;
//! - [`dimse`]: command set builders and the parsed [`dimse::Command`];
//! - [`status`]: status codes and their standard meanings;
//! - [`services`]: echo, find, move;
//! - [`scp`]: a Storage SCP that writes what it receives to a folder.
//!
//! ```
//! use dicomkit::net::Node;
//! let node = Node::parse("ORTHANC@127.0.0.1:4242").unwrap();
//! assert_eq!((node.ae.as_str(), node.port), ("ORTHANC", 4242));
//! assert!(Node::parse("A\\B@127.0.0.1:104").is_err());
//! ```

pub mod assoc;
pub mod dimse;
pub mod query;
pub mod scp;
pub mod services;
pub mod status;

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

pub use status::{Status, StatusClass};

/// Verification SOP Class.
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
/// Study Root Query/Retrieve Information Model – FIND.
pub const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
/// Study Root Query/Retrieve Information Model – MOVE.
pub const STUDY_ROOT_MOVE: &str = "1.2.840.10008.5.1.4.1.2.2.2";
/// Patient Root Query/Retrieve Information Model – FIND.
pub const PATIENT_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.1.1";
/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";

/// A DICOM node: application entity title, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The AE title (1–16 characters).
    pub ae: String,
    /// Host name or address.
    pub host: String,
    /// TCP port (1–65535).
    pub port: u16,
}

impl Node {
    /// Parse and validate `AE@HOST:PORT` (IPv6 hosts in brackets: `AE@[::1]:104`).
    pub fn parse(text: &str) -> Result<Node, String> {
        let (ae, rest) = text
            .split_once('@')
            .ok_or_else(|| format!("{text:?}: expected AE@HOST:PORT"))?;
        validate_ae(ae).map_err(|m| format!("{text:?}: {m}"))?;
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{text:?}: expected AE@HOST:PORT (no port)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{text:?}: empty host"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{text:?}: port must be 1-65535, not {port:?}"))?;
        Ok(Node {
            ae: ae.to_owned(),
            host: host.to_owned(),
            port,
        })
    }

    /// Resolve the host to a socket address (the first one the resolver gives).
    pub fn resolve(&self) -> Result<SocketAddr, String> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("{self}: cannot resolve host {:?}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("{self}: host {:?} has no address", self.host))
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}@[{}]:{}", self.ae, self.host, self.port)
        } else {
            write!(f, "{}@{}:{}", self.ae, self.host, self.port)
        }
    }
}

/// Check an AE title: 1–16 characters of the default repertoire, no backslash or control
/// characters, not all spaces.
pub fn validate_ae(ae: &str) -> Result<(), String> {
    if ae.is_empty() || ae.len() > 16 {
        return Err(format!("AE title {ae:?} must be 1-16 characters"));
    }
    if ae
        .chars()
        .any(|c| c == '\\' || c.is_control() || !c.is_ascii())
    {
        return Err(format!(
            "AE title {ae:?} has a backslash, a control or non-ASCII character"
        ));
    }
    if ae.trim().is_empty() {
        return Err("AE title is all spaces".into());
    }
    Ok(())
}

/// Network timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// Association negotiation (A-ASSOCIATE-RQ to AC/RJ), and release.
    pub acse: Duration,
    /// Each wait for a DIMSE message.
    pub dimse: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        let ten = Duration::from_secs(10);
        Timeouts {
            connect: ten,
            acse: ten,
            dimse: ten,
        }
    }
}

/// A network failure, naming the peer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The TCP connection could not be made.
    #[error("{peer}: cannot connect: {reason}")]
    Connect {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The peer answered A-ASSOCIATE-RJ.
    #[error("{peer}: PACS rejected the association: {reason}")]
    Rejected {
        /// The peer.
        peer: String,
        /// The rejection reason, in words.
        reason: String,
    },
    /// The peer sent A-ABORT or closed the connection.
    #[error("{peer}: {what}")]
    Aborted {
        /// The peer.
        peer: String,
        /// What happened.
        what: String,
    },
    /// No answer in time.
    #[error("{peer}: no answer within {seconds} s while waiting for {what}")]
    Timeout {
        /// The peer.
        peer: String,
        /// What was awaited.
        what: String,
        /// The timeout.
        seconds: f64,
    },
    /// The peer accepted none of the presentation contexts needed.
    #[error("{peer}: the peer accepts none of the presentation contexts for {what}")]
    NotAccepted {
        /// The peer.
        peer: String,
        /// The service.
        what: String,
    },
    /// A DIMSE failure status.
    #[error("{peer}: {operation} failed with status {status}{}", comment.as_ref().map(|c| format!(": {c}")).unwrap_or_default())]
    Status {
        /// The peer.
        peer: String,
        /// The operation (e.g. "C-MOVE to STORESCP").
        operation: String,
        /// The status.
        status: Status,
        /// The peer's Error Comment (0000,0902), if any.
        comment: Option<String>,
    },
    /// Something the protocol does not allow.
    #[error("{peer}: protocol error: {what}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What.
        what: String,
    },
    /// A local I/O failure (e.g. writing a received file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_parsing_and_validation() {
        let n = Node::parse("PACS@localhost:104").unwrap();
        assert_eq!(n.to_string(), "PACS@localhost:104");
        assert_eq!(Node::parse("A@[::1]:11112").unwrap().host, "::1");
        for bad in [
            "PACS",
            "@h:1",
            "ABCDEFGHIJKLMNOPQ@h:1",
            "A\\B@h:1",
            "   @h:1",
            "A\tB@h:1",
            "A@h",
            "A@h:0",
            "A@h:65536",
            "A@h:x",
            "A@:104",
        ] {
            assert!(Node::parse(bad).is_err(), "{bad}");
        }
        assert!(validate_ae("ABCDEFGHIJKLMNOP").is_ok());
    }
}
