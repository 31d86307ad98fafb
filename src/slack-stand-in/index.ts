// The local Slack stand-in: Web API server + recorder + transcript, and a driver that plays Slack's side.
export { SlackStandIn, type RecordedCall, type StoredMessage, type StoredEphemeral, type StoredView, type StoredFile } from './slack-stand-in.js';
export { SlackDriver, type DriverReply } from './slack-driver.js';
export { renderTranscript, type TranscriptVersions } from './transcript.js';
export { blocksToText, buttonsIn, type FoundButton } from './block-text.js';
export { signedHeaders, slackSignature } from './sign-request.js';
export { SlackSocketMode, type SocketModeOptions, type SocketEnvelope, type Delivery, type Acked, type EnvelopeType, type DisconnectReason } from './socket-mode.js';
