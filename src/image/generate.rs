//! Building Secondary Capture objects (single- and multi-frame, grey and true colour) from
//! pictures and metadata. (Being built.)
