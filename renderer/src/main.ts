import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { connect } from './lib/api.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
mount(App, { target, props: { api: connect() } });
