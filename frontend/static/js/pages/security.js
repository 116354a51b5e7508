import { register, explain } from '../ceremony.js'

const form = document.getElementById('add-passkey')
const error = document.getElementById('passkey-error')

if (form) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    error.hidden = true
    try {
      await register(document.getElementById('new-passkey-label').value)
      // A new org's first admin goes on to the portal's first steps; others see their list.
      if (form.dataset.next) window.location.assign(form.dataset.next)
      else window.location.reload()
    } catch (e) {
      error.textContent = explain(e)
      error.hidden = false
    }
  })
}
