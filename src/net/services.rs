//! The DIMSE services dicomkit uses as an SCU: C-ECHO, C-FIND and C-MOVE, over one
//! [`Association`] each call site opens.

use std::time::{Duration, Instant};

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries;

use super::assoc::{Association, AssociationRequest};
use super::dimse::{self, field};
use super::{NetError, Node, Status, StatusClass, Timeouts};
use crate::dicom::DicomFile;
use crate::dicom::read::read_dataset_bytes;
use crate::dicom::value::Value;

/// C-ECHO on an open association; returns the round-trip time of the echo itself.
pub fn echo(assoc: &mut Association) -> Result<Duration, NetError> {
    let peer = assoc.peer().to_owned();
    let (pc, _) = assoc
        .context_for(super::VERIFICATION)
        .ok_or_else(|| NetError::NotAccepted {
            peer: peer.clone(),
            what: "Verification (C-ECHO)".into(),
        })?;
    let id = assoc.next_message_id();
    let start = Instant::now();
    assoc.send(pc, &dimse::echo_rq(id), None)?;
    let rsp = assoc.receive("the C-ECHO response")?;
    let rtt = start.elapsed();
    expect_field(&peer, &rsp.command, field::C_ECHO_RSP)?;
    match rsp.command.status {
        Some(s) if s.class() == StatusClass::Success => Ok(rtt),
        Some(status) => Err(NetError::Status {
            peer,
            operation: "C-ECHO".into(),
            status,
            comment: rsp.command.error_comment,
        }),
        None => Err(NetError::Protocol {
            peer,
            what: "C-ECHO-RSP without status".into(),
        }),
    }
}

fn expect_field(peer: &str, c: &dimse::Command, want: u16) -> Result<(), NetError> {
    if c.field == want {
        Ok(())
    } else {
        Err(NetError::Protocol {
            peer: peer.into(),
            what: format!("expected a response, got {}", c.name()),
        })
    }
}

/// A query/retrieve identifier: keys with values (empty value = return key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identifier {
    /// The keys, in the order given; later keys replace earlier ones of the same tag.
    pub keys: Vec<(Tag, VR, String)>,
}

impl Identifier {
    /// Set a key (replacing any earlier value of the same tag).
    pub fn set(&mut self, tag: Tag, vr: VR, value: impl Into<String>) {
        let value = value.into();
        match self.keys.iter_mut().find(|(t, _, _)| *t == tag) {
            Some(k) => *k = (tag, vr, value),
            None => self.keys.push((tag, vr, value)),
        }
    }

    /// The value of a key, if set.
    pub fn get(&self, tag: Tag) -> Option<&str> {
        self.keys
            .iter()
            .find(|(t, _, _)| *t == tag)
            .map(|(_, _, v)| v.as_str())
    }

    /// Encode in the transfer syntax `ts` (Explicit or Implicit VR Little Endian), declaring
    /// UTF-8 (ISO_IR 192) when a value is not ASCII.
    pub fn encode(&self, ts: &str) -> Result<Vec<u8>, String> {
        let utf8 = self.keys.iter().any(|(_, _, v)| !v.is_ascii());
        let mut obj = InMemDicomObject::new_empty();
        if utf8 {
            obj.put(DataElement::new(
                Tag(0x0008, 0x0005),
                VR::CS,
                PrimitiveValue::from("ISO_IR 192"),
            ));
        }
        for (tag, vr, value) in &self.keys {
            let v = match vr {
                VR::US | VR::UL | VR::SS | VR::SL | VR::FL | VR::FD if !value.is_empty() => {
                    numeric(*vr, value)?
                }
                _ if value.is_empty() => PrimitiveValue::Empty,
                _ => PrimitiveValue::from(value.as_str()),
            };
            obj.put(DataElement::new(*tag, *vr, v));
        }
        let syntax = if ts == super::IMPLICIT_VR_LE {
            entries::IMPLICIT_VR_LITTLE_ENDIAN.erased()
        } else {
            entries::EXPLICIT_VR_LITTLE_ENDIAN.erased()
        };
        let cs = if utf8 {
            SpecificCharacterSet::ISO_IR_192
        } else {
            SpecificCharacterSet::default()
        };
        let mut out = Vec::new();
        obj.write_dataset_with_ts_cs(&mut out, &syntax, cs)
            .map_err(|e| format!("cannot encode the identifier: {e}"))?;
        Ok(out)
    }
}

fn numeric(vr: VR, value: &str) -> Result<PrimitiveValue, String> {
    let bad = |_| format!("{value:?} is not a number for VR {vr}");
    Ok(match vr {
        VR::US => PrimitiveValue::from(value.parse::<u16>().map_err(bad)?),
        VR::SS => PrimitiveValue::from(value.parse::<i16>().map_err(bad)?),
        VR::UL => PrimitiveValue::from(value.parse::<u32>().map_err(bad)?),
        VR::SL => PrimitiveValue::from(value.parse::<i32>().map_err(bad)?),
        VR::FL => PrimitiveValue::from(
            value
                .parse::<f32>()
                .map_err(|_| format!("{value:?} is not a number"))?,
        ),
        _ => PrimitiveValue::from(
            value
                .parse::<f64>()
                .map_err(|_| format!("{value:?} is not a number"))?,
        ),
    })
}

/// The accepted presentation context for `model`, its transfer syntax, and `identifier`
/// encoded in it: what every C-FIND / C-MOVE request starts with.
fn encode_request(
    assoc: &Association,
    model: &str,
    identifier: &Identifier,
    what: &str,
) -> Result<(u8, String, Vec<u8>), NetError> {
    let peer = assoc.peer();
    let (pc, ts) = assoc
        .context_for(model)
        .ok_or_else(|| NetError::NotAccepted {
            peer: peer.into(),
            what: what.into(),
        })?;
    let data = identifier.encode(ts).map_err(|what| NetError::Protocol {
        peer: peer.into(),
        what,
    })?;
    Ok((pc, ts.to_owned(), data))
}

/// C-FIND with `identifier` on the information model `model`; returns every match, decoded.
/// The matches are returned in the order the peer sent them.
pub fn find(
    assoc: &mut Association,
    model: &str,
    identifier: &Identifier,
) -> Result<Vec<DicomFile>, NetError> {
    let peer = assoc.peer().to_owned();
    let (pc, ts, data) = encode_request(assoc, model, identifier, "C-FIND")?;
    let id = assoc.next_message_id();
    assoc.send(pc, &dimse::find_rq(id, model), Some(&data))?;
    let mut matches = Vec::new();
    loop {
        let rsp = assoc.receive("a C-FIND response")?;
        expect_field(&peer, &rsp.command, field::C_FIND_RSP)?;
        let status = rsp.command.status.unwrap_or(Status(0xC000));
        match status.class() {
            StatusClass::Pending => {
                if let Some(bytes) = rsp.data {
                    matches.push(read_dataset_bytes(&bytes, &ts));
                }
            }
            StatusClass::Success | StatusClass::Cancel | StatusClass::Warning => {
                return Ok(matches);
            }
            StatusClass::Failure => {
                return Err(NetError::Status {
                    peer,
                    operation: "C-FIND".into(),
                    status,
                    comment: rsp.command.error_comment,
                });
            }
        }
    }
}

/// How a C-MOVE ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MoveOutcome {
    /// The final status.
    pub status: Option<Status>,
    /// Completed sub-operations.
    pub completed: u32,
    /// Failed sub-operations.
    pub failed: u32,
    /// Sub-operations that completed with a warning.
    pub warning: u32,
    /// Failed SOP Instance UID List (0008,0058), when the peer sent one.
    pub failed_uids: Vec<String>,
    /// The peer's Error Comment, if any.
    pub comment: Option<String>,
}

/// C-MOVE with `identifier` to `destination`; `progress` is called with each pending
/// response's (remaining, completed, failed, warning).
pub fn move_to(
    assoc: &mut Association,
    model: &str,
    identifier: &Identifier,
    destination: &str,
    progress: &mut dyn FnMut(Option<u32>, u32, u32, u32),
) -> Result<MoveOutcome, NetError> {
    let peer = assoc.peer().to_owned();
    let (pc, ts, data) = encode_request(assoc, model, identifier, "C-MOVE")?;
    let id = assoc.next_message_id();
    assoc.send(pc, &dimse::move_rq(id, model, destination), Some(&data))?;
    let mut outcome = MoveOutcome::default();
    loop {
        let rsp = assoc.receive("a C-MOVE response")?;
        expect_field(&peer, &rsp.command, field::C_MOVE_RSP)?;
        let c = &rsp.command;
        outcome.completed = c.completed.unwrap_or(outcome.completed);
        outcome.failed = c.failed.unwrap_or(outcome.failed);
        outcome.warning = c.warning.unwrap_or(outcome.warning);
        let status = c.status.unwrap_or(Status(0xC000));
        if status.class() == StatusClass::Pending {
            progress(
                c.remaining,
                outcome.completed,
                outcome.failed,
                outcome.warning,
            );
            continue;
        }
        if let Some(bytes) = &rsp.data {
            let set = read_dataset_bytes(bytes, &ts);
            if let Some(e) = set.find(Tag(0x0008, 0x0058))
                && let Value::Strings(uids) = &e.value
            {
                outcome.failed_uids = uids.iter().filter(|u| !u.is_empty()).cloned().collect();
            }
        }
        outcome.status = Some(status);
        outcome.comment = c.error_comment.clone();
        return Ok(outcome);
    }
}

/// Text of a top-level element of a C-FIND match, trimmed of padding (empty when absent).
pub fn text_of(set: &DicomFile, tag: Tag) -> String {
    set.find(tag).map(|e| e.value.to_text()).unwrap_or_default()
}

/// C-STORE one instance (its data set bytes, already in `transfer_syntax`) on an open
/// association; returns the final status (success or warning), or the failure as an error.
pub fn store(
    assoc: &mut Association,
    sop_class: &str,
    sop_instance: &str,
    transfer_syntax: &str,
    data: &[u8],
) -> Result<Status, NetError> {
    let peer = assoc.peer().to_owned();
    let pc = assoc
        .context_with(sop_class, transfer_syntax)
        .ok_or_else(|| NetError::NotAccepted {
            peer: peer.clone(),
            what: format!("C-STORE of SOP class {sop_class} in transfer syntax {transfer_syntax}"),
        })?;
    let id = assoc.next_message_id();
    assoc.send(
        pc,
        &dimse::store_rq(id, sop_class, sop_instance),
        Some(data),
    )?;
    let rsp = assoc.receive("the C-STORE response")?;
    expect_field(&peer, &rsp.command, field::C_STORE_RSP)?;
    let status = rsp.command.status.unwrap_or(Status(0xC000));
    match status.class() {
        StatusClass::Success | StatusClass::Warning => Ok(status),
        _ => Err(NetError::Status {
            peer,
            operation: format!("C-STORE of {sop_instance}"),
            status,
            comment: rsp.command.error_comment,
        }),
    }
}

/// C-STORE of many instances over one association: opened on first use (one presentation
/// context per transfer syntax, so instances go in the encoding they have), reopened once
/// when it drops in the middle; a failure status or a refused context is not retried.
pub struct StoreSession {
    node: Node,
    calling_ae: String,
    sop_classes: Vec<String>,
    max_pdu: u32,
    timeouts: Timeouts,
    assoc: Option<Association>,
}

impl StoreSession {
    /// A session to `node` for these SOP classes (nothing is connected yet).
    pub fn new(
        node: Node,
        calling_ae: &str,
        sop_classes: &[&str],
        max_pdu: u32,
        timeouts: Timeouts,
    ) -> StoreSession {
        StoreSession {
            node,
            calling_ae: calling_ae.to_owned(),
            sop_classes: sop_classes.iter().map(|s| (*s).to_owned()).collect(),
            max_pdu,
            timeouts,
            assoc: None,
        }
    }

    fn open(&self) -> Result<Association, NetError> {
        let classes: Vec<&str> = self.sop_classes.iter().map(String::as_str).collect();
        let request = AssociationRequest {
            calling_ae: &self.calling_ae,
            abstract_syntaxes: &classes,
            max_pdu: self.max_pdu,
            timeouts: self.timeouts,
            one_context_per_transfer_syntax: true,
        };
        Association::open(&self.node, &request)
    }

    /// C-STORE one instance (data set bytes in `transfer_syntax`).
    pub fn store(
        &mut self,
        sop_class: &str,
        sop_instance: &str,
        transfer_syntax: &str,
        data: &[u8],
    ) -> Result<Status, NetError> {
        let mut last = None;
        for _ in 0..2 {
            let assoc = match self.assoc.take() {
                Some(a) => a,
                None => self.open()?,
            };
            let mut assoc = assoc;
            match store(&mut assoc, sop_class, sop_instance, transfer_syntax, data) {
                Ok(s) => {
                    self.assoc = Some(assoc);
                    return Ok(s);
                }
                Err(e @ (NetError::Status { .. } | NetError::NotAccepted { .. })) => {
                    self.assoc = Some(assoc);
                    return Err(e);
                }
                // The association dropped (it is aborted when `assoc` goes): reconnect once.
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| NetError::Protocol {
            peer: self.node.to_string(),
            what: "could not send".into(),
        }))
    }

    /// Release the association, if one is open.
    pub fn close(&mut self) -> Result<(), NetError> {
        match self.assoc.take() {
            Some(a) => a.release(),
            None => Ok(()),
        }
    }
}
