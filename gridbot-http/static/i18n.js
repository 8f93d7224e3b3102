// English and Korean strings. Elements with data-i18n="key" get their text
// from the current language; t(key, vars) formats "{name}" placeholders.
const STRINGS = {
  en: {
    skip: 'Skip to content', logout: 'Log out',
    'login.title': 'Log in', 'login.username': 'User name', 'login.password': 'Password', 'login.submit': 'Log in',
    'bal.used': 'Used', 'bal.available': 'Available', 'bal.active': 'Active bots', 'bal.pnl': 'Total PnL', 'bal.live': 'Updates',
    'live.sse': 'live', 'live.poll': 'every 5 s',
    strategies: 'Strategies', 'tab.templates': 'Templates', 'tab.ai': 'AI', 'tab.manual': 'Manual',
    'ai.symbol': 'Symbol', 'ai.analyze': 'Analyse', 'ai.loading': 'Backtesting candidates…', 'ai.none': 'No viable grid for this market now.',
    'ai.roi30': '30-day ROI', 'ai.min': 'Min investment', 'ai.duration': 'Duration', 'ai.range': 'Range', 'ai.grids': 'Grids',
    'ai.drawdown': 'Max drawdown', 'ai.trend': 'Trend {trend}, 24 h volatility {vol} %, price {price}',
    use: 'Use', start: 'Start', stop: 'Stop', cancel: 'Cancel', close: 'Close', details: 'Details',
    'risk.conservative': 'Conservative', 'risk.moderate': 'Moderate', 'risk.aggressive': 'Aggressive',
    'mode.long': 'Long', 'mode.short': 'Short', 'mode.neutral': 'Neutral', 'sp.arith': 'Arithmetic', 'sp.geo': 'Geometric',
    'm.symbol': 'Symbol', 'm.mode': 'Mode', 'm.spacing': 'Spacing', 'm.lower': 'Lower price', 'm.upper': 'Upper price',
    'm.grids': 'Grids', 'm.leverage': 'Leverage', 'm.investment': 'Investment (USDT)', 'm.sl': 'Stop-loss price', 'm.tp': 'Take-profit price',
    'm.start': 'Start grid bot', 'p.levels': 'Levels', 'p.qty': 'Qty per grid', 'p.margin': 'Required margin', 'p.profit': 'Profit per grid',
    'p.liq': 'Liquidation price', 'p.none': 'none',
    'tpl.leverage': 'Leverage', 'tpl.sl': 'Stop-loss', 'tpl.tp': 'Take-profit', 'tpl.range': 'Investment', 'tpl.featured': 'Featured',
    'start.title': 'Start bot', 'start.how': 'Investment', 'start.amount': 'Amount (USDT)', 'start.percent': '% of available',
    'start.value': 'Value', 'start.confirm': 'Confirm', 'start.ok': '{amount} USDT of {available} available; {remaining} will remain.',
    'start.bad': 'Insufficient balance: {available} USDT available, {amount} requested.', 'start.started': 'Bot started',
    'bots.title': 'My bots', 'bots.filter': 'Show', 'bots.active': 'Active', 'bots.all': 'All', 'bots.empty': 'No bots here yet. Pick a strategy below.',
    'bot.allocation': 'Allocation', 'bot.pnl': 'PnL', 'bot.roi': 'ROI', 'bot.fills': 'Fills', 'bot.confirm': 'Stop {name}? Orders are cancelled and the position is closed.',
    'bot.stopped': 'Bot stopped',
    'detail.equity': 'Equity', 'detail.grid': 'Grid and open orders', 'detail.trades': 'Trades', 'detail.price': 'Price',
    'd.roi': 'ROI', 'd.apr': 'APR', 'd.grid_profit': 'Grid profit', 'd.unrealized': 'Unrealised', 'd.fees': 'Fees', 'd.fills': 'Fills',
    't.time': 'Time', 't.side': 'Side', 't.price': 'Price', 't.qty': 'Qty', 't.fee': 'Fee', 't.pnl': 'PnL',
    'status.created': 'created', 'status.starting': 'starting', 'status.running': 'running', 'status.paused': 'paused',
    'status.stopping': 'stopping', 'status.stopped': 'stopped', 'status.error': 'error',
  },
  ko: {
    skip: '본문으로 건너뛰기', logout: '로그아웃',
    'login.title': '로그인', 'login.username': '사용자 이름', 'login.password': '비밀번호', 'login.submit': '로그인',
    'bal.used': '사용 중', 'bal.available': '사용 가능', 'bal.active': '활성 봇', 'bal.pnl': '총 손익', 'bal.live': '업데이트',
    'live.sse': '실시간', 'live.poll': '5초마다',
    strategies: '전략', 'tab.templates': '템플릿', 'tab.ai': 'AI', 'tab.manual': '수동',
    'ai.symbol': '심볼', 'ai.analyze': '분석', 'ai.loading': '후보 백테스트 중…', 'ai.none': '지금은 적합한 그리드가 없습니다.',
    'ai.roi30': '30일 수익률', 'ai.min': '최소 투자금', 'ai.duration': '권장 기간', 'ai.range': '가격 범위', 'ai.grids': '그리드 수',
    'ai.drawdown': '최대 낙폭', 'ai.trend': '추세 {trend}, 24시간 변동성 {vol} %, 가격 {price}',
    use: '사용', start: '시작', stop: '중지', cancel: '취소', close: '닫기', details: '상세',
    'risk.conservative': '보수적', 'risk.moderate': '중립', 'risk.aggressive': '공격적',
    'mode.long': '롱', 'mode.short': '숏', 'mode.neutral': '중립', 'sp.arith': '등차', 'sp.geo': '등비',
    'm.symbol': '심볼', 'm.mode': '모드', 'm.spacing': '간격', 'm.lower': '하한가', 'm.upper': '상한가',
    'm.grids': '그리드 수', 'm.leverage': '레버리지', 'm.investment': '투자금 (USDT)', 'm.sl': '손절가', 'm.tp': '익절가',
    'm.start': '그리드 봇 시작', 'p.levels': '가격선', 'p.qty': '그리드당 수량', 'p.margin': '필요 증거금', 'p.profit': '그리드당 수익',
    'p.liq': '청산가', 'p.none': '없음',
    'tpl.leverage': '레버리지', 'tpl.sl': '손절', 'tpl.tp': '익절', 'tpl.range': '투자금', 'tpl.featured': '추천',
    'start.title': '봇 시작', 'start.how': '투자금', 'start.amount': '금액 (USDT)', 'start.percent': '사용 가능 금액의 %',
    'start.value': '값', 'start.confirm': '확인', 'start.ok': '사용 가능 {available} USDT 중 {amount} USDT; {remaining} 남음.',
    'start.bad': '잔고 부족: 사용 가능 {available} USDT, 요청 {amount}.', 'start.started': '봇이 시작되었습니다',
    'bots.title': '내 봇', 'bots.filter': '보기', 'bots.active': '활성', 'bots.all': '전체', 'bots.empty': '아직 봇이 없습니다. 아래에서 전략을 고르세요.',
    'bot.allocation': '할당', 'bot.pnl': '손익', 'bot.roi': '수익률', 'bot.fills': '체결', 'bot.confirm': '{name} 봇을 중지할까요? 주문이 취소되고 포지션이 청산됩니다.',
    'bot.stopped': '봇이 중지되었습니다',
    'detail.equity': '자산', 'detail.grid': '그리드와 미체결 주문', 'detail.trades': '거래', 'detail.price': '가격',
    'd.roi': '수익률', 'd.apr': '연수익률', 'd.grid_profit': '그리드 수익', 'd.unrealized': '미실현', 'd.fees': '수수료', 'd.fills': '체결',
    't.time': '시간', 't.side': '방향', 't.price': '가격', 't.qty': '수량', 't.fee': '수수료', 't.pnl': '손익',
    'status.created': '생성됨', 'status.starting': '시작 중', 'status.running': '실행 중', 'status.paused': '일시정지',
    'status.stopping': '중지 중', 'status.stopped': '중지됨', 'status.error': '오류',
  },
};

let lang = localStorage.getItem('gridbot.lang') === 'ko' ? 'ko' : 'en';

export function currentLang() { return lang; }

export function t(key, vars) {
  let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  return s;
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.textContent = lang === 'en' ? '한국어' : 'English';
}

export function toggleLang() {
  lang = lang === 'en' ? 'ko' : 'en';
  localStorage.setItem('gridbot.lang', lang);
  applyI18n();
}
