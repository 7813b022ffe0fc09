//! The sample limits on big inputs, with the memory the reader takes measured: a counting
//! allocator wraps the system one in this test binary, and the tests run one at a time so that
//! each peak is its own.
//!
//! The documented limits are used as they are (no test-only limits here): an HL7 aECG whose
//! one lead has one digit more than `MAX_SAMPLES_PER_LEAD` (a 173 MB file, generated in a temp
//! folder by streaming its digits) must be refused quickly and without allocating its samples.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dicomkit::ecg::{EcgError, Format, MAX_SAMPLES_PER_LEAD, aecg};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = IN_USE.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is passed on to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (through this allocator).
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller promised for `ptr`, `layout` and `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One test at a time: the peaks are per test.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f`, returning its result and the most bytes it had allocated at once beyond what was
/// in use before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = IN_USE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(before))
}

/// An aECG document whose one rhythm lead (I) at 500 Hz has `n` digits, all `0`, written to
/// `path` by streaming the digits (the test never holds them as text of its own).
fn write_aecg(path: &std::path::Path, n: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all(
        br#"<?xml version="1.0"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <component><series><code code="RHYTHM"/>
  <component><sequenceSet>
   <component><sequence><code code="TIME_ABSOLUTE"/><value xsi:type="GLIST_TS"><head value="20260101000000"/><increment value="0.002" unit="s"/></value></sequence></component>
   <component><sequence><code code="MDC_ECG_LEAD_I"/><value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="1" unit="uV"/><digits>"#,
    )
    .unwrap();
    let block = "0 ".repeat(1 << 16);
    let mut left = n;
    while left > 0 {
        let k = left.min(1 << 16);
        out.write_all(&block.as_bytes()[..2 * k]).unwrap();
        left -= k;
    }
    out.write_all(
        b"</digits></value></sequence></component>
  </sequenceSet></component>
 </series></component>
</AnnotatedECG>
",
    )
    .unwrap();
    out.flush().unwrap();
}

/// A lead of `MAX_SAMPLES_PER_LEAD + 1` digits (173 MB of text): refused as too large before
/// a single sample is stored — no more than a few MB allocated beyond the document itself
/// (which the caller holds), in seconds.
#[test]
fn aecg_lead_beyond_the_limit_is_refused_quickly_in_little_memory() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xml");
    let n = MAX_SAMPLES_PER_LEAD + 1;
    write_aecg(&path, n);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 2 * n);

    let start = Instant::now();
    let (result, peak) = peak_of(|| aecg::read(&bytes));
    let took = start.elapsed();
    match result {
        Err(EcgError::TooLarge { format, reason }) => {
            assert_eq!(format, Format::Aecg);
            assert!(
                reason.contains(&format!("a lead of {n} samples")),
                "{reason}"
            );
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(ecg) => panic!(
            "a lead of {} samples was read",
            ecg.rhythm.map_or(0, |r| r.samples_per_lead())
        ),
    }
    eprintln!(
        "{} MB document refused in {took:?}, {} KB allocated at most",
        bytes.len() >> 20,
        peak >> 10
    );
    assert!(peak < 8 << 20, "{peak} bytes allocated while refusing");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// Within the limits, a long lead (5 M samples, 40 MB as f64) takes little more than its
/// decoded size: the digits are stored once, in a buffer of the exact size, and scaled in place.
#[test]
fn aecg_long_lead_takes_about_its_decoded_size() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xml");
    let n = 5_000_000;
    write_aecg(&path, n);
    let bytes = std::fs::read(&path).unwrap();
    let (ecg, peak) = peak_of(|| aecg::read(&bytes).unwrap());
    let decoded = n * std::mem::size_of::<f64>();
    assert_eq!(ecg.rhythm.as_ref().unwrap().samples_per_lead(), n);
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    eprintln!(
        "{n} samples: {} MB decoded, {} MB allocated at most",
        decoded >> 20,
        peak >> 20
    );
    assert!(
        peak < decoded + decoded / 2,
        "{peak} bytes allocated for {decoded} bytes of samples"
    );
}
