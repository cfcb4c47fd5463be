/** The simulated carrier (demo, load tests, end-to-end runs without Twilio). */
export * from './simulated-carrier.js';
