import { authenticate, explain } from '../ceremony.js'

const button = document.getElementById('passkey-second-factor')
const error = document.getElementById('passkey-error')
const fallback = document.getElementById('fallback-totp')

button.addEventListener('click', async () => {
  error.hidden = true
  try {
    await authenticate({})
    window.location.assign(button.dataset.next || '/')
  } catch (e) {
    error.textContent = explain(e)
    error.hidden = false
    if (fallback) fallback.hidden = false // after a failed passkey, offer the app code
  }
})
