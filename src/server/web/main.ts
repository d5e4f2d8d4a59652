/**
 * The dashboard's entry. The server set its auth cookie from `?token=` before this page loaded;
 * the token is removed from the address bar first thing, so it is not in history, bookmarks or a
 * shared screenshot, and nothing here ever reads it.
 */
import './app.css';
import { App } from './app.ts';
import { withoutToken } from './url-state.ts';

const clean = withoutToken(location.search);
if (clean !== null) history.replaceState(null, '', `${location.pathname}${clean}${location.hash}`);

const app = new App(document.getElementById('app')!);
void app.start();
