//! HTTP/2 errors carry the codes RFC 9113 names (#30): a hand-built frame suite found six that
//! came back as PROTOCOL_ERROR. Each malformed frame is sent on a fresh public connection (h2
//! with prior knowledge, as h2spec does), and the edge's GOAWAY or RST_STREAM is read back.

use tests::h2frames::{
    ending, frame, request_block, End, ACK, DATA, END_HEADERS, END_STREAM, HEADERS, PING, PREFACE,
    SETTINGS,
};
use tests::origin::{ok, serve};
use tests::tunnel::Setup;
use tests::READY;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";
const PROTOCOL_ERROR: u32 = 0x1;
const FLOW_CONTROL_ERROR: u32 = 0x3;
const STREAM_CLOSED: u32 = 0x5;
const FRAME_SIZE_ERROR: u32 = 0x6;
const COMPRESSION_ERROR: u32 = 0x9;

/// Sends the preface, an empty SETTINGS and `frames`; how the edge ended (watching `stream`).
async fn answer_to(setup: &Setup, frames: &[Vec<u8>], stream: u32) -> Option<End> {
    let tcp = TcpStream::connect(setup.edge.addr("http")).await.unwrap();
    let (mut read, mut write) = tcp.into_split();
    let mut bytes = PREFACE.to_vec();
    bytes.extend(frame(SETTINGS, 0, 0, &[]));
    for f in frames {
        bytes.extend(f);
    }
    write.write_all(&bytes).await.unwrap();
    let end = tokio::time::timeout(READY, ending(&mut read, stream)).await;
    end.expect("the edge answered in time")
}

#[tokio::test]
async fn malformed_frames_get_the_error_codes_the_rfc_names() {
    let origin = serve(|_req| async { ok("hello") }).await;
    let setup = Setup::new(
        "",
        &[HOST],
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    // SETTINGS_INITIAL_WINDOW_SIZE (4) of 2^31: over the largest window (§6.5.2).
    let window = [0, 4, 0x80, 0, 0, 0];
    let bad_index = [0x82, 0x86, 0x84, 0xc0];
    let request = request_block(HOST);
    let cases: Vec<(&str, Vec<Vec<u8>>, u32, End)> = vec![
        (
            "initial window 2^31",
            vec![frame(SETTINGS, 0, 0, &window)],
            0,
            End::GoAway(FLOW_CONTROL_ERROR),
        ),
        (
            "5-byte SETTINGS",
            vec![frame(SETTINGS, 0, 0, &[0, 4, 0, 0, 1])],
            0,
            End::GoAway(FRAME_SIZE_ERROR),
        ),
        (
            "SETTINGS ACK with a payload",
            vec![frame(SETTINGS, ACK, 0, &window)],
            0,
            End::GoAway(FRAME_SIZE_ERROR),
        ),
        (
            "7-byte PING",
            vec![frame(PING, 0, 0, &[0; 7])],
            0,
            End::GoAway(FRAME_SIZE_ERROR),
        ),
        (
            "an HPACK index past the tables",
            vec![frame(HEADERS, END_STREAM | END_HEADERS, 1, &bad_index)],
            0,
            End::GoAway(COMPRESSION_ERROR),
        ),
        (
            "DATA after END_STREAM",
            vec![
                frame(HEADERS, END_STREAM | END_HEADERS, 1, &request),
                frame(DATA, 0, 1, b"late"),
            ],
            1,
            End::Reset(STREAM_CLOSED),
        ),
        (
            "DATA on an idle stream",
            vec![frame(DATA, 0, 3, b"early")],
            0,
            End::GoAway(PROTOCOL_ERROR),
        ),
    ];
    for (what, frames, stream, wanted) in cases {
        let got = answer_to(&setup, &frames, stream).await;
        assert_eq!(got, Some(wanted), "{what}");
    }
}
