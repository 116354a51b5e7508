import { register, explain } from '../ceremony.js'

// The passkey set up inside a half-done sign-in: the same ceremony as /account/security,
// against the enrolment step's own endpoints (the pending session is no sign-in elsewhere).
const form = document.getElementById('enrol-passkey')
const error = document.getElementById('passkey-error')

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  error.hidden = true
  try {
    const next = form.dataset.next || '/'
    await register(document.getElementById('new-passkey-label').value, '/login/enrol/passkey')
    window.location.assign(next)
  } catch (e) {
    error.textContent = explain(e)
    error.hidden = false
  }
})
