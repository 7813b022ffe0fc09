//! Images: decoding DICOM pixel data of every transfer syntax into frames ([`pixels`]), the
//! grey-level and colour pipeline to displayable pictures, encoding PNG/JPEG/GIF, plotting ECGs
//! on standard paper ([`ecg_plot`]), and building Secondary Capture objects from pictures
//! ([`generate`]).

pub mod display;
pub mod ecg_plot;
pub mod encode;
pub mod generate;
pub mod pixels;
