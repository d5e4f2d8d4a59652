/** The dashboard's entry (placeholder until the app lands): proves the bundle loads. */
document.getElementById('app')!.textContent = 'orderflow dashboard';
