//! Associations: a client association over dicom-ul with timeouts, TCP_NODELAY, explicit
//! release and A-ABORT as service user; and the message layer shared with the SCP: a DIMSE
//! message is a command set (command PDVs) optionally followed by a data set (data PDVs),
//! assembled here from P-DATA-TF PDUs by their command/last flags, never mixed.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use dicom_ul::association::SyncAssociation;
use dicom_ul::pdu::{
    AbortRQSource, PDataValue, PDataValueType, PresentationContextNegotiated,
    PresentationContextResultReason,
};
use dicom_ul::{ClientAssociation, ClientAssociationOptions, Pdu};

use super::dimse::Command;
use super::{EXPLICIT_VR_LE, IMPLICIT_VR_LE, NetError, Node, Timeouts};

/// Default maximum PDU length dicomkit offers to receive.
pub const DEFAULT_MAX_PDU: u32 = 65_536;

/// A received DIMSE message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The presentation context it came on.
    pub context_id: u8,
    /// The command set.
    pub command: Command,
    /// The data set bytes, when the command announced one.
    pub data: Option<Vec<u8>>,
}

/// An I/O error inside a dicom-ul error chain, if any.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

fn is_timeout(kind: Option<io::ErrorKind>) -> bool {
    matches!(
        kind,
        Some(io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
    )
}

/// The whole chain of an error, as one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cur = err.source();
    }
    text
}

/// Turn a dicom-ul error into a [`NetError`] naming the peer; `waiting_for` says what a
/// timeout was waiting for.
pub fn map_ul_error(
    peer: &str,
    e: dicom_ul::association::Error,
    waiting_for: &str,
    timeout: Duration,
) -> NetError {
    use dicom_ul::association::Error as E;
    let kind = io_kind(&e);
    match e {
        E::Rejected { association_rj, .. } => {
            let permanence = match association_rj.result {
                dicom_ul::pdu::AssociationRJResult::Permanent => "permanent",
                dicom_ul::pdu::AssociationRJResult::Transient => "transient",
            };
            NetError::Rejected {
                peer: peer.into(),
                reason: format!("{} ({permanence})", association_rj.source),
            }
        }
        E::Aborted { .. } => NetError::Aborted {
            peer: peer.into(),
            what: "the peer aborted the association (A-ABORT)".into(),
        },
        E::NoAcceptedPresentationContexts { .. } => NetError::NotAccepted {
            peer: peer.into(),
            what: waiting_for.into(),
        },
        E::Connect { ref source, .. } | E::ToAddress { ref source, .. } => {
            if is_timeout(Some(source.kind())) {
                NetError::Timeout {
                    peer: peer.into(),
                    what: "the TCP connection".into(),
                    seconds: timeout.as_secs_f64(),
                }
            } else {
                NetError::Connect {
                    peer: peer.into(),
                    reason: source.to_string(),
                }
            }
        }
        E::ConnectionClosed { .. } => NetError::Aborted {
            peer: peer.into(),
            what: "the peer closed the connection".into(),
        },
        ref other if is_timeout(kind) => {
            let _ = other;
            NetError::Timeout {
                peer: peer.into(),
                what: waiting_for.into(),
                seconds: timeout.as_secs_f64(),
            }
        }
        ref other
            if matches!(
                kind,
                Some(
                    io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::BrokenPipe
                )
            ) =>
        {
            NetError::Aborted {
                peer: peer.into(),
                what: format!("the peer closed the connection ({})", chain(other)),
            }
        }
        other => NetError::Protocol {
            peer: peer.into(),
            what: chain(&other),
        },
    }
}

/// Send one DIMSE message: the command set as one command PDV, then the data set (if any) as
/// data PDVs no larger than the peer's maximum PDU length.
pub fn send_message<A>(
    assoc: &mut A,
    peer: &str,
    context_id: u8,
    command: &[u8],
    data: Option<&[u8]>,
    timeout: Duration,
) -> Result<(), NetError>
where
    A: SyncAssociation<TcpStream>,
{
    let max = match assoc.peer_max_pdu_length() {
        0 => usize::MAX,
        n => (n as usize).saturating_sub(6).max(1),
    };
    let mut send = |kind: PDataValueType, bytes: &[u8]| -> Result<(), NetError> {
        let mut chunks = bytes.chunks(max).peekable();
        if bytes.is_empty() {
            let pdv = PDataValue {
                presentation_context_id: context_id,
                value_type: kind.clone(),
                is_last: true,
                data: Vec::new(),
            };
            return SyncAssociation::send(assoc, &Pdu::PData { data: vec![pdv] })
                .map_err(|e| map_ul_error(peer, e, "sending", timeout));
        }
        while let Some(chunk) = chunks.next() {
            let pdv = PDataValue {
                presentation_context_id: context_id,
                value_type: kind.clone(),
                is_last: chunks.peek().is_none(),
                data: chunk.to_vec(),
            };
            SyncAssociation::send(assoc, &Pdu::PData { data: vec![pdv] })
                .map_err(|e| map_ul_error(peer, e, "sending", timeout))?;
        }
        Ok(())
    };
    send(PDataValueType::Command, command)?;
    if let Some(data) = data {
        send(PDataValueType::Data, data)?;
    }
    Ok(())
}

/// What arrived instead of a message.
#[derive(Debug)]
pub enum Incoming {
    /// A complete DIMSE message.
    Message(Message),
    /// The peer asked to release the association (A-RELEASE-RQ).
    ReleaseRequested,
}

/// Receive one DIMSE message (or a release request), waiting at most `timeout` for each PDU.
pub fn receive_message<A>(
    assoc: &mut A,
    peer: &str,
    timeout: Duration,
    waiting_for: &str,
) -> Result<Incoming, NetError>
where
    A: SyncAssociation<TcpStream>,
{
    let _ = assoc.inner_stream().set_read_timeout(Some(timeout));
    let mut command: Vec<u8> = Vec::new();
    let mut parsed: Option<Command> = None;
    let mut data: Vec<u8> = Vec::new();
    let mut context = None;
    loop {
        let pdu = SyncAssociation::receive(assoc)
            .map_err(|e| map_ul_error(peer, e, waiting_for, timeout))?;
        match pdu {
            Pdu::PData { data: pdvs } => {
                for pdv in pdvs {
                    if *context.get_or_insert(pdv.presentation_context_id)
                        != pdv.presentation_context_id
                    {
                        return Err(NetError::Protocol {
                            peer: peer.into(),
                            what: "a message mixes presentation contexts".into(),
                        });
                    }
                    match pdv.value_type {
                        PDataValueType::Command => {
                            if parsed.is_some() {
                                return Err(NetError::Protocol {
                                    peer: peer.into(),
                                    what: "command fragment after the last one".into(),
                                });
                            }
                            command.extend_from_slice(&pdv.data);
                            if pdv.is_last {
                                let c = Command::parse(&command).map_err(|what| {
                                    NetError::Protocol {
                                        peer: peer.into(),
                                        what,
                                    }
                                })?;
                                if !c.has_data_set {
                                    return Ok(Incoming::Message(Message {
                                        context_id: pdv.presentation_context_id,
                                        command: c,
                                        data: None,
                                    }));
                                }
                                parsed = Some(c);
                            }
                        }
                        PDataValueType::Data => {
                            let Some(c) = parsed.take() else {
                                return Err(NetError::Protocol {
                                    peer: peer.into(),
                                    what: "data fragment before the command set".into(),
                                });
                            };
                            data.extend_from_slice(&pdv.data);
                            if pdv.is_last {
                                return Ok(Incoming::Message(Message {
                                    context_id: pdv.presentation_context_id,
                                    command: c,
                                    data: Some(std::mem::take(&mut data)),
                                }));
                            }
                            parsed = Some(c);
                        }
                    }
                }
            }
            Pdu::ReleaseRQ => return Ok(Incoming::ReleaseRequested),
            Pdu::AbortRQ { source } => {
                let by = match source {
                    AbortRQSource::ServiceUser => "service user".to_owned(),
                    AbortRQSource::ServiceProvider(reason) => {
                        format!("service provider: {reason:?}")
                    }
                    AbortRQSource::Reserved => "reserved source".to_owned(),
                };
                return Err(NetError::Aborted {
                    peer: peer.into(),
                    what: format!("the peer aborted the association (A-ABORT, {by})"),
                });
            }
            other => {
                return Err(NetError::Protocol {
                    peer: peer.into(),
                    what: format!("unexpected {}", other.short_description()),
                });
            }
        }
    }
}

/// A client association to a peer.
pub struct Association {
    inner: Option<ClientAssociation<TcpStream>>,
    peer: String,
    next_id: u16,
    timeouts: Timeouts,
    contexts: Vec<PresentationContextNegotiated>,
}

/// What to propose when opening an association.
#[derive(Debug, Clone)]
pub struct AssociationRequest<'a> {
    /// Our AE title.
    pub calling_ae: &'a str,
    /// The abstract syntaxes (SOP classes) to propose, each with Explicit and Implicit VR LE.
    pub abstract_syntaxes: &'a [&'a str],
    /// Maximum PDU length we accept.
    pub max_pdu: u32,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Propose each transfer syntax in a presentation context of its own (so that the peer can
    /// accept both and data sets can be sent in the encoding they already have), instead of
    /// one context per abstract syntax offering both.
    pub one_context_per_transfer_syntax: bool,
}

impl Association {
    /// Connect to `node` and negotiate the association.
    pub fn open(node: &Node, request: &AssociationRequest<'_>) -> Result<Association, NetError> {
        let peer = node.to_string();
        let addr = node.resolve().map_err(|reason| NetError::Connect {
            peer: peer.clone(),
            reason,
        })?;
        let mut options = ClientAssociationOptions::new()
            .calling_ae_title(request.calling_ae.to_owned())
            .called_ae_title(node.ae.clone())
            .max_pdu_length(request.max_pdu)
            .connection_timeout(request.timeouts.connect)
            .read_timeout(request.timeouts.acse)
            .write_timeout(request.timeouts.dimse.max(request.timeouts.acse));
        for abs in request.abstract_syntaxes {
            if request.one_context_per_transfer_syntax {
                for ts in [EXPLICIT_VR_LE, IMPLICIT_VR_LE] {
                    options =
                        options.with_presentation_context(abs.to_string(), vec![ts.to_owned()]);
                }
            } else {
                options = options.with_presentation_context(
                    abs.to_string(),
                    vec![EXPLICIT_VR_LE.to_owned(), IMPLICIT_VR_LE.to_owned()],
                );
            }
        }
        let mut inner = options.establish(addr).map_err(|e| {
            map_ul_error(
                &peer,
                e,
                "the association answer (A-ASSOCIATE-AC)",
                request.timeouts.acse,
            )
        })?;
        // Without TCP_NODELAY every DIMSE exchange stalls ~40 ms on delayed ACKs.
        let _ = inner.inner_stream().set_nodelay(true);
        let contexts = inner
            .presentation_contexts()
            .iter()
            .filter(|pc| pc.reason == PresentationContextResultReason::Acceptance)
            .cloned()
            .collect();
        Ok(Association {
            inner: Some(inner),
            peer,
            next_id: 1,
            timeouts: request.timeouts,
            contexts,
        })
    }

    /// The peer, as `AE@HOST:PORT`.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The accepted presentation context for an abstract syntax: its id and transfer syntax.
    pub fn context_for(&self, abstract_syntax: &str) -> Option<(u8, &str)> {
        self.contexts
            .iter()
            .find(|pc| pc.abstract_syntax.trim_end_matches('\0') == abstract_syntax)
            .map(|pc| (pc.id, pc.transfer_syntax.trim_end_matches('\0')))
    }

    /// The accepted presentation context for an abstract syntax in a given transfer syntax.
    pub fn context_with(&self, abstract_syntax: &str, transfer_syntax: &str) -> Option<u8> {
        self.contexts
            .iter()
            .find(|pc| {
                pc.abstract_syntax.trim_end_matches('\0') == abstract_syntax
                    && pc.transfer_syntax.trim_end_matches('\0') == transfer_syntax
            })
            .map(|pc| pc.id)
    }

    /// A fresh message ID.
    pub fn next_message_id(&mut self) -> u16 {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    fn inner(&mut self) -> Result<&mut ClientAssociation<TcpStream>, NetError> {
        let peer = self.peer.clone();
        self.inner.as_mut().ok_or(NetError::Aborted {
            peer,
            what: "the association is closed".into(),
        })
    }

    /// Send a message on presentation context `context_id`.
    pub fn send(
        &mut self,
        context_id: u8,
        command: &[u8],
        data: Option<&[u8]>,
    ) -> Result<(), NetError> {
        let peer = self.peer.clone();
        let timeout = self.timeouts.dimse;
        let inner = self.inner()?;
        send_message(inner, &peer, context_id, command, data, timeout)
    }

    /// Wait for the next message (at most the DIMSE timeout per PDU).
    pub fn receive(&mut self, waiting_for: &str) -> Result<Message, NetError> {
        let peer = self.peer.clone();
        let timeout = self.timeouts.dimse;
        let inner = self.inner()?;
        match receive_message(inner, &peer, timeout, waiting_for)? {
            Incoming::Message(m) => Ok(m),
            Incoming::ReleaseRequested => Err(NetError::Aborted {
                peer,
                what: format!(
                    "the peer released the association while we waited for {waiting_for}"
                ),
            }),
        }
    }

    /// Release the association (A-RELEASE), waiting at most the ACSE timeout.
    pub fn release(mut self) -> Result<(), NetError> {
        let Some(mut inner) = self.inner.take() else {
            return Ok(());
        };
        let _ = inner
            .inner_stream()
            .set_read_timeout(Some(self.timeouts.acse));
        inner.release().map_err(|e| {
            map_ul_error(
                &self.peer,
                e,
                "the release answer (A-RELEASE-RP)",
                self.timeouts.acse,
            )
        })
    }

    /// Abort the association: A-ABORT with source "service user", then close.
    pub fn abort(mut self) {
        self.abort_inner();
    }

    fn abort_inner(&mut self) {
        if let Some(mut inner) = self.inner.take() {
            let _ = SyncAssociation::send(
                &mut inner,
                &Pdu::AbortRQ {
                    source: AbortRQSource::ServiceUser,
                },
            );
            let _ = inner.inner_stream().shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Association {
    /// An association dropped without release (an error path) is aborted, never left hanging.
    fn drop(&mut self) {
        self.abort_inner();
    }
}
