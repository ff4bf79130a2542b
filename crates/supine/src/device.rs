//! A live camera, `/dev/video0`, through Video4Linux2 (the `linuxvideo` crate: the kernel's
//! ioctls called directly, no C library, nothing generated at build time).
//!
//! [`open`] checks the device before anything else happens (it exists, may be opened, is a
//! camera that streams video, is free, and offers YUYV or MJPEG) and says what is wrong in
//! plain words when it is not. [`Capture`] then hands out its frames as they come, converted to
//! RGB in memory: YUYV ([`yuyv_to_rgb`]) or MJPEG ([`mjpeg_to_rgb`]). No frame is ever written
//! anywhere.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::RgbImage;
use linuxvideo::format::{PixFormat, PixelFormat};
use linuxvideo::stream::ReadStream;
use linuxvideo::{BufType, CapabilityFlags, Device};
use supine_vision::pipeline::MAX_FRAME_SIDE;

/// The picture size asked of the camera. The pose pipeline looks at the person through 224 and
/// 256 pixel crops, so more costs conversion time for nothing; the camera answers with its
/// nearest size.
pub const WANTED_SIZE: (u32, u32) = (640, 480);

/// How long the camera may give no frame before it counts as stopped (seconds). Cameras give
/// 5-30 frames a second, and the first one within a second of starting.
pub const NO_FRAME_S: f64 = 5.0;

/// How often a wait for the next frame looks whether it should stop.
const POLL: Duration = Duration::from_millis(5);

// Linux error numbers the device answers with.
/// No such device or address: the node exists but no driver is behind it.
const ENXIO: i32 = 6;
/// Device or resource busy: another program is capturing.
const EBUSY: i32 = 16;
/// No such device: unplugged.
const ENODEV: i32 = 19;
/// Invalid argument: the ioctl is unknown to this kind of device.
const EINVAL: i32 = 22;
/// Inappropriate ioctl for device: not a video device.
const ENOTTY: i32 = 25;

/// The pixel formats supine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pixels {
    /// YUV 4:2:2, two pixels in four bytes (Y0 U Y1 V).
    Yuyv,
    /// Motion JPEG: each frame a JPEG image.
    Mjpeg,
}

impl Pixels {
    fn of(f: PixelFormat) -> Option<Pixels> {
        match f {
            PixelFormat::YUYV => Some(Pixels::Yuyv),
            PixelFormat::MJPG | PixelFormat::JPEG => Some(Pixels::Mjpeg),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Pixels::Yuyv => "YUYV",
            Pixels::Mjpeg => "MJPEG",
        }
    }
}

/// Why a camera cannot be used, in words that say what to do (the device's path is said by
/// the caller).
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// Nothing at that path.
    #[error("there is no such camera; plug one in, or see which there are with `ls /dev/video*`")]
    Missing,
    /// Not allowed to open it.
    #[error(
        "permission denied; add yourself to the video group (`sudo usermod -aG video $USER`, \
         then log in again)"
    )]
    Permission,
    /// A device, but not a video device.
    #[error(
        "is not a camera (it does not answer as a video device); give a camera such as /dev/video0, or a video file"
    )]
    NotACamera,
    /// A video device that captures no video (a camera's metadata node, a video output).
    #[error(
        "captures no video (it may be a camera's second, metadata node); try the next /dev/videoN"
    )]
    NoVideo,
    /// Another program is using it.
    #[error(
        "is busy: another program is using the camera; close it (a video call, a browser tab) \
         and try again"
    )]
    Busy,
    /// It offers no format supine reads.
    #[error("offers none of the picture formats supine reads (YUYV, MJPEG); it offers {offered}")]
    Format {
        /// What it offers, by four-character code.
        offered: String,
    },
    /// A frame size beyond what the pipeline takes.
    #[error("gives {width}x{height} pictures, more than {MAX_FRAME_SIDE} pixels a side")]
    TooBig {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// It was unplugged.
    #[error("was unplugged")]
    Gone,
    /// It stopped giving pictures.
    #[error("gave no picture for {NO_FRAME_S:.0} s")]
    Silent,
    /// A frame that could not be read as its format says.
    #[error("sent a picture that cannot be read: {0}")]
    Frame(String),
    /// Anything else the device said.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The device's answer.
        source: io::Error,
    },
}

impl DeviceError {
    /// The error for the device's answer `e` while doing `what`.
    fn from_io(what: &'static str, e: io::Error) -> DeviceError {
        match (e.kind(), e.raw_os_error()) {
            (io::ErrorKind::NotFound, _) => DeviceError::Missing,
            (io::ErrorKind::PermissionDenied, _) => DeviceError::Permission,
            (_, Some(EBUSY)) => DeviceError::Busy,
            (_, Some(ENODEV | ENXIO)) => DeviceError::Gone,
            _ => DeviceError::Io { what, source: e },
        }
    }
}

/// A camera, streaming.
pub struct Capture {
    stream: ReadStream,
    pixels: Pixels,
    width: u32,
    height: u32,
    stride: u32,
    path: PathBuf,
    /// The newest frame's bytes, as the camera gave them.
    raw: Vec<u8>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Capture({}, {})", self.path.display(), self.describe())
    }
}

/// Opens the camera at `path` and starts it streaming: YUYV if it offers it (no decoding), else
/// MJPEG, at about [`WANTED_SIZE`].
pub fn open(path: &Path) -> Result<Capture, DeviceError> {
    let device = Device::open(path).map_err(|e| match e.raw_os_error() {
        // The first thing asked of it is what it is: an answer of "no such question" means it
        // is not a video device.
        Some(ENOTTY | EINVAL) => DeviceError::NotACamera,
        _ => DeviceError::from_io("opening it", e),
    })?;
    let caps = device
        .capabilities()
        .map_err(|e| DeviceError::from_io("asking what it is", e))?
        .device_capabilities();
    if !caps.contains(CapabilityFlags::VIDEO_CAPTURE | CapabilityFlags::STREAMING) {
        return Err(DeviceError::NoVideo);
    }
    let offered: Vec<PixelFormat> = device
        .formats(BufType::VIDEO_CAPTURE)
        .map(|f| f.map(|f| f.pixel_format()))
        .collect::<io::Result<_>>()
        .map_err(|e| DeviceError::from_io("listing its picture formats", e))?;
    let format = |p: Pixels| offered.iter().copied().find(|f| Pixels::of(*f) == Some(p));
    let Some(wanted) = format(Pixels::Yuyv).or_else(|| format(Pixels::Mjpeg)) else {
        return Err(unsupported(&offered));
    };
    let (w, h) = WANTED_SIZE;
    let capture = device
        .video_capture(PixFormat::new(w, h, wanted))
        .map_err(|e| DeviceError::from_io("choosing its picture format", e))?;
    let got = capture.format();
    // The driver may answer with another format than the one asked for.
    let Some(pixels) = Pixels::of(got.pixel_format()) else {
        return Err(unsupported(&[got.pixel_format()]));
    };
    let (width, height, stride) = (got.width(), got.height(), got.bytes_per_line());
    if width == 0 || height == 0 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(DeviceError::TooBig { width, height });
    }
    let stream = capture
        .into_stream()
        .map_err(|e| DeviceError::from_io("starting it", e))?;
    Ok(Capture {
        stream,
        pixels,
        width,
        height,
        stride,
        path: path.to_path_buf(),
        raw: Vec::new(),
    })
}

fn unsupported(offered: &[PixelFormat]) -> DeviceError {
    let names: Vec<String> = offered
        .iter()
        .map(|f| String::from_utf8_lossy(&f.as_fourcc()).trim().to_owned())
        .collect();
    DeviceError::Format {
        offered: if names.is_empty() {
            "no format at all".to_owned()
        } else {
            names.join(", ")
        },
    }
}

impl Capture {
    /// The size and format it streams, e.g. `"640x480 YUYV"`.
    pub fn describe(&self) -> String {
        format!("{}x{} {}", self.width, self.height, self.pixels.name())
    }

    /// Waits for the next frame and converts it into `img` (when `decode`; else passes over it),
    /// until `stop` says to give up (`Ok(false)`). Frames already waiting are passed over for
    /// the newest, so analysis that falls behind skips frames rather than lagging.
    pub fn next_into(
        &mut self,
        img: &mut RgbImage,
        decode: bool,
        stop: &dyn Fn() -> bool,
    ) -> Result<bool, DeviceError> {
        let since = Instant::now();
        while self.waiting()? {
            if stop() {
                return Ok(false);
            }
            if since.elapsed().as_secs_f64() > NO_FRAME_S {
                return Err(DeviceError::Silent);
            }
            std::thread::sleep(POLL);
        }
        loop {
            // Each frame is copied out of the camera's buffer (which goes straight back to it);
            // only the newest is converted.
            let raw = &mut self.raw;
            self.stream
                .dequeue(|buf| {
                    if decode {
                        raw.clear();
                        raw.extend_from_slice(&buf);
                    }
                    Ok(())
                })
                .map_err(|e| DeviceError::from_io("reading a picture", e))?;
            if self.waiting()? {
                break;
            }
        }
        if decode {
            match self.pixels {
                Pixels::Yuyv => yuyv_to_rgb(&self.raw, self.width, self.height, self.stride, img)?,
                Pixels::Mjpeg => mjpeg_to_rgb(&self.raw, img)?,
            }
        }
        Ok(true)
    }

    /// Whether no frame is ready yet.
    fn waiting(&self) -> Result<bool, DeviceError> {
        self.stream
            .will_block()
            .map_err(|e| DeviceError::from_io("waiting for a picture", e))
    }
}

/// A YUYV frame (`width` x `height`, `stride` bytes a row) as RGB into `img`, with the
/// conversion of ITU-R BT.601 in the video range (Y 16-235, U and V 16-240), which webcams use.
/// A frame shorter than its size says is refused.
pub fn yuyv_to_rgb(
    src: &[u8],
    width: u32,
    height: u32,
    stride: u32,
    img: &mut RgbImage,
) -> Result<(), DeviceError> {
    let (w, h) = (width as usize, height as usize);
    let stride = (stride as usize).max(w * 2);
    let need = stride
        .checked_mul(h.saturating_sub(1))
        .and_then(|n| n.checked_add(w * 2))
        .ok_or(DeviceError::TooBig { width, height })?;
    if w % 2 != 0 || src.len() < need {
        return Err(DeviceError::Frame(format!(
            "a {width}x{height} YUYV picture needs {need} bytes, it had {}",
            src.len()
        )));
    }
    if img.dimensions() != (width, height) {
        *img = RgbImage::new(width, height);
    }
    let out: &mut [u8] = img;
    for (y, row) in out.chunks_exact_mut(w * 3).enumerate() {
        let line = &src[y * stride..y * stride + w * 2];
        for (pair, rgb) in line.chunks_exact(4).zip(row.chunks_exact_mut(6)) {
            let (u, v) = (i32::from(pair[1]) - 128, i32::from(pair[3]) - 128);
            let (first, second) = rgb.split_at_mut(3);
            yuv_pixel(pair[0], u, v, first);
            yuv_pixel(pair[2], u, v, second);
        }
    }
    Ok(())
}

/// One BT.601 video-range pixel, in fixed point (eight fractional bits).
fn yuv_pixel(y: u8, u: i32, v: i32, rgb: &mut [u8]) {
    let c = 298 * (i32::from(y) - 16) + 128;
    let clamp = |x: i32| (x >> 8).clamp(0, 255) as u8;
    rgb[0] = clamp(c + 409 * v);
    rgb[1] = clamp(c - 100 * u - 208 * v);
    rgb[2] = clamp(c + 516 * u);
}

/// An MJPEG frame (a JPEG image; those that leave out their Huffman tables, as many cameras
/// do, are read with the standard ones) as RGB into `img`.
pub fn mjpeg_to_rgb(src: &[u8], img: &mut RgbImage) -> Result<(), DeviceError> {
    let decoded = image::load_from_memory_with_format(src, image::ImageFormat::Jpeg)
        .map_err(|e| DeviceError::Frame(format!("as JPEG: {e}")))?;
    let (w, h) = (decoded.width(), decoded.height());
    if w > MAX_FRAME_SIDE || h > MAX_FRAME_SIDE {
        return Err(DeviceError::TooBig {
            width: w,
            height: h,
        });
    }
    *img = decoded.into_rgb8();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A YUYV frame of 2x1 pixel pairs per row from (Y0, U, Y1, V) quadruples.
    fn yuyv(pairs: &[[u8; 4]]) -> Vec<u8> {
        pairs.iter().flatten().copied().collect()
    }

    #[test]
    fn yuyv_video_range_turns_into_rgb() {
        // Black, white, and the BT.601 primaries at full strength: each pair of pixels shares its
        // U and V.
        let src = yuyv(&[
            [16, 128, 235, 128], // black, white (grey has no colour)
            [81, 90, 81, 240],   // red
            [145, 54, 145, 34],  // green
            [41, 240, 41, 110],  // blue
        ]);
        let mut img = RgbImage::new(0, 0);
        yuyv_to_rgb(&src, 8, 1, 16, &mut img).unwrap();
        let px = |x: u32| img.get_pixel(x, 0).0;
        assert_eq!(px(0), [0, 0, 0]);
        assert_eq!(px(1), [255, 255, 255]);
        let near = |got: [u8; 3], want: [u8; 3]| {
            got.iter()
                .zip(want)
                .all(|(g, w)| (i32::from(*g) - i32::from(w)).abs() <= 3)
        };
        assert!(near(px(2), [255, 0, 0]), "red: {:?}", px(2));
        assert!(near(px(4), [0, 255, 0]), "green: {:?}", px(4));
        assert!(near(px(6), [0, 0, 255]), "blue: {:?}", px(6));
    }

    #[test]
    fn yuyv_rows_follow_the_stride_and_a_short_frame_is_refused() {
        // Two rows of one pair, each padded to 8 bytes.
        let mut src = yuyv(&[[235, 128, 235, 128]]);
        src.extend([0xEE; 4]);
        src.extend(yuyv(&[[16, 128, 16, 128]]));
        let mut img = RgbImage::new(5, 5);
        yuyv_to_rgb(&src, 2, 2, 8, &mut img).unwrap();
        assert_eq!(img.dimensions(), (2, 2));
        assert_eq!(img.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(0, 1).0, [0, 0, 0]);
        let err = yuyv_to_rgb(&src[..10], 2, 2, 8, &mut img).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sent a picture that cannot be read: a 2x2 YUYV picture needs 12 bytes, it had 10"
        );
    }

    fn jpeg_of(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
            .encode_image(img)
            .unwrap();
        out
    }

    /// `jpeg` as many cameras send MJPEG: an "AVI1" APP0 segment and no Huffman tables.
    fn as_camera_sends_it(jpeg: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        out.extend([0xFF, 0xE0, 0x00, 0x08]);
        out.extend(b"AVI1\0\0");
        let mut i = 2;
        while i + 4 <= jpeg.len() {
            assert_eq!(jpeg[i], 0xFF, "a segment starts at {i}");
            let marker = jpeg[i + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
            if marker == 0xDA {
                // The scan runs to the end.
                out.extend(&jpeg[i..]);
                return out;
            }
            // Leave out the encoder's APP0 and its Huffman tables.
            if marker != 0xC4 && marker != 0xE0 {
                out.extend(&jpeg[i..i + 2 + len]);
            }
            i += 2 + len;
        }
        panic!("no scan in the JPEG");
    }

    #[test]
    fn mjpeg_frames_turn_into_rgb_with_or_without_their_tables() {
        let img = RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 200])
        });
        let jpeg = jpeg_of(&img);
        let mut got = RgbImage::new(0, 0);
        mjpeg_to_rgb(&jpeg, &mut got).unwrap();
        assert_eq!(got.dimensions(), (64, 48));
        let close = |a: &RgbImage, b: &RgbImage| {
            a.pixels().zip(b.pixels()).all(|(p, q)| {
                p.0.iter()
                    .zip(q.0)
                    .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 12)
            })
        };
        assert!(close(&got, &img));
        let bare = as_camera_sends_it(&jpeg);
        assert!(bare.len() < jpeg.len(), "the tables were left out");
        let mut from_bare = RgbImage::new(0, 0);
        mjpeg_to_rgb(&bare, &mut from_bare).unwrap();
        assert_eq!(from_bare, got, "the standard tables are the encoder's");
        let err = mjpeg_to_rgb(&jpeg[..jpeg.len() / 3], &mut got).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sent a picture that cannot be read: as JPEG"),
            "{err}"
        );
    }

    #[test]
    fn what_is_not_a_camera_is_said_plainly() {
        assert!(matches!(
            open(Path::new("/dev/video-that-is-not-there")),
            Err(DeviceError::Missing)
        ));
        assert!(matches!(
            open(Path::new("/dev/null")),
            Err(DeviceError::NotACamera)
        ));
        let err = unsupported(&[
            PixelFormat::from_fourcc(*b"NV12"),
            PixelFormat::from_fourcc(*b"H264"),
        ]);
        assert_eq!(
            err.to_string(),
            "offers none of the picture formats supine reads (YUYV, MJPEG); it offers NV12, H264"
        );
    }
}
