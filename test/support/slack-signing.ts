// Test-side name for the signer; the implementation lives in src/slack-stand-in so the demo can use it too.
export { signedHeaders, slackSignature } from '../../src/slack-stand-in/sign-request.js';
