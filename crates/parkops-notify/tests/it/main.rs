//! End-to-end tests of every channel against real receivers on 127.0.0.1: HTTP receivers
//! that check signatures the way each platform does and answer in its words, and a small
//! SMTP server. No network beyond loopback, no sleeps.

mod burst;
mod email;
mod guard;
mod robots;
mod support;
mod webhook;
